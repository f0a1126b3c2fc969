package local.psm.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;

/**
 * The classic CJK bigram chain: StandardTokenizer, width folding, lower case, bigrams of
 * adjacent Han/Hiragana/Katakana/Hangul characters. 「锂电池」 becomes 锂电 电池, so it
 * shares 电池 with 「锂离子电池正极材料」; Latin words and numbers stay whole.
 *
 * <p>Unlike Lucene's CJKAnalyzer there is no English stop-word filter: in patent titles
 * "a", "in" or "on" are rare and sometimes meaningful (e.g. "system on a chip").
 */
final class CjkBigramAnalyzer extends Analyzer {

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
        Tokenizer source = new StandardTokenizer();
        TokenStream stream = new CJKWidthFilter(source);
        stream = new LowerCaseFilter(stream);
        stream = new CJKBigramFilter(stream);
        return new TokenStreamComponents(source, stream);
    }

    // Used for normalizing query terms that are not tokenized (prefix, wildcard, fuzzy).
    @Override
    protected TokenStream normalize(String fieldName, TokenStream in) {
        return new LowerCaseFilter(new CJKWidthFilter(in));
    }
}
