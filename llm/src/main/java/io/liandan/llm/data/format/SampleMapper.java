package io.liandan.llm.data.format;

import io.liandan.llm.data.Sample;
import io.liandan.llm.data.io.Row;
import io.liandan.spec.FormatSpec;

/** Maps one row of a given format to a Sample, or throws a DatasetException naming the field. */
interface SampleMapper {
  Sample map(Row row);

  static SampleMapper of(FormatSpec spec) {
    return switch (spec.format()) {
      case TEXT -> new TextMapper(spec);
      case ALPACA -> new AlpacaMapper(spec.columns());
      case SHAREGPT -> new SharegptMapper(spec);
      case OPENAI -> new OpenAiMapper(spec.columns());
      case PREFERENCE -> PreferenceMapper.of(spec);
      case KTO -> KtoMapper.of(spec);
    };
  }
}
