package local.psm.analysis;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;

/**
 * Token filter {@code psm_cjk_width}: folds full-width Latin to ASCII and half-width
 * Katakana to full width (the missing built-in {@code cjk_width}).
 */
@NamedComponent("psm_cjk_width")
public class CjkWidthTokenFilterFactory implements TokenFilterFactory {

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new CJKWidthFilter(tokenStream);
    }

    // Width folding is a per-character normalization, so normalizers and the
    // normalization of wildcard/prefix query terms should apply it too.
    @Override
    public TokenStream normalize(TokenStream tokenStream) {
        return new CJKWidthFilter(tokenStream);
    }
}
