package local.psm.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.cn.smart.SmartChineseAnalyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/**
 * Analyzer {@code psm_smartcn}: Lucene's SmartChineseAnalyzer (HMM word segmentation over
 * its bundled dictionary, punctuation stop words, Porter stemming of Latin words).
 * 「锂离子电池正极材料」 becomes 锂 离子 电池 正极 材料.
 */
@NamedComponent("psm_smartcn")
public class SmartcnAnalyzerFactory implements AnalyzerFactory {

    @Override
    public Analyzer create() {
        return new SmartChineseAnalyzer();
    }
}
