package io.liandan.llm.data.format;

import io.liandan.llm.data.Sample;
import io.liandan.llm.data.io.DatasetException.Kind;
import io.liandan.llm.data.io.Row;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;

/** Pretraining text: {"text": "…"} → Sample.Text; blank text is dropped and counted. */
final class TextMapper implements SampleMapper {
  private final String column;

  TextMapper(FormatSpec spec) {
    this.column = spec.columns().text();
  }

  @Override
  public Sample map(Row row) {
    Fields fields = new Fields(row, Format.TEXT);
    String text = fields.requireString(column);
    if (text.isBlank()) {
      throw fields.error(Kind.EMPTY_TEXT, column, "empty text");
    }
    return new Sample.Text(text, row.origin());
  }
}
