package local.psm.analysis;

import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.cn.smart.HMMChineseTokenizer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenizerFactory;

/**
 * Tokenizer {@code psm_smartcn_tokenizer}: smartcn's sentence splitting and word
 * segmentation without its stop words or stemming, for custom analyzers in index settings.
 */
@NamedComponent("psm_smartcn_tokenizer")
public class SmartcnTokenizerFactory implements TokenizerFactory {

    @Override
    public Tokenizer create() {
        return new HMMChineseTokenizer();
    }
}
