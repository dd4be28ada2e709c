package io.liandan.tracker.filter;

/**
 * The character-level half of the tracker's hand-written filter parsers (Liandan's filter language
 * and MLflow's search filter): a position in the source, whitespace, keywords, expected characters
 * and errors that say where.
 */
public abstract class Scanner {
  protected final String src;
  protected int pos;

  protected Scanner(String src) {
    this.src = src;
  }

  /** Characters that continue a word: a keyword must not be followed by one. */
  protected boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c);
  }

  /** Consumes {@code kw} (any case) when it stands here as a whole word. */
  protected boolean keyword(String kw) {
    skipSpace();
    int end = pos + kw.length();
    if (end <= src.length()
        && src.regionMatches(true, pos, kw, 0, kw.length())
        && (end == src.length() || !isWordChar(src.charAt(end)))) {
      pos = end;
      return true;
    }
    return false;
  }

  protected boolean match(String s) {
    if (src.startsWith(s, pos)) {
      pos += s.length();
      return true;
    }
    return false;
  }

  protected void expect(char c) {
    skipSpace();
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  protected char peek() {
    return pos < src.length() ? src.charAt(pos) : '\0';
  }

  protected void skipSpace() {
    while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
      pos++;
    }
  }

  protected FilterException error(String message) {
    return new FilterException(message + " at position " + (pos + 1));
  }
}
