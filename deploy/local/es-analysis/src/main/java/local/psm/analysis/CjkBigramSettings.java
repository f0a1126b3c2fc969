package local.psm.analysis;

import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.BooleanSetting;

/** Settings of {@code psm_cjk_bigram}, read from its definition in the index settings. */
@AnalysisSettings
public interface CjkBigramSettings {

    /** Also emit each CJK character on its own, so one-character queries match too. */
    @BooleanSetting(path = "output_unigrams", defaultValue = false)
    boolean outputUnigrams();
}
