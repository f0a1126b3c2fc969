package local.psm.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** Analyzer {@code psm_cjk}: see {@link CjkBigramAnalyzer}. */
@NamedComponent("psm_cjk")
public class CjkBigramAnalyzerFactory implements AnalyzerFactory {

    @Override
    public Analyzer create() {
        return new CjkBigramAnalyzer();
    }
}
