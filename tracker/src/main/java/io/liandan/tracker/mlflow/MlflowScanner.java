package io.liandan.tracker.mlflow;

import io.liandan.tracker.filter.Scanner;

/**
 * The lexical pieces MLflow's run and experiment search syntaxes share: bare words and quoted
 * strings or identifiers (single, double or back quotes, no escapes, as MLflow's own parser).
 */
abstract class MlflowScanner extends Scanner {
  MlflowScanner(String src) {
    super(src);
  }

  /** Letters, digits and the characters of {@code extra}, from here on (possibly none). */
  protected String word(String extra) {
    int start = pos;
    while (pos < src.length()
        && (Character.isLetterOrDigit(peek()) || extra.indexOf(peek()) >= 0)) {
      pos++;
    }
    return src.substring(start, pos);
  }

  /** The text between the quote character here and the next one like it. */
  protected String quoted() {
    char q = src.charAt(pos);
    int start = pos++;
    int end = src.indexOf(q, pos);
    if (end < 0) {
      pos = start;
      throw error("unterminated " + (q == '`' ? "identifier" : "string"));
    }
    String s = src.substring(pos, end);
    pos = end + 1;
    return s;
  }
}
