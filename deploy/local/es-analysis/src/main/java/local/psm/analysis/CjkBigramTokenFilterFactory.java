package local.psm.analysis;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;

/**
 * Token filter {@code psm_cjk_bigram}: bigrams of adjacent CJK characters (the missing
 * built-in {@code cjk_bigram}), with its {@code output_unigrams} option. Expects the
 * StandardTokenizer's token types, so pair it with {@code "tokenizer": "standard"}.
 */
@NamedComponent("psm_cjk_bigram")
public class CjkBigramTokenFilterFactory implements TokenFilterFactory {

    private final boolean outputUnigrams;

    // Elasticsearch builds a stable component through its one public constructor, and
    // passes settings only into an @Inject constructor.
    @Inject
    public CjkBigramTokenFilterFactory(CjkBigramSettings settings) {
        this.outputUnigrams = settings.outputUnigrams();
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        int allScripts = CJKBigramFilter.HAN | CJKBigramFilter.HIRAGANA | CJKBigramFilter.KATAKANA | CJKBigramFilter.HANGUL;
        return new CJKBigramFilter(tokenStream, allScripts, outputUnigrams);
    }
}
