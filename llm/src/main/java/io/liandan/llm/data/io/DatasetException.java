// The one exception type for dataset rows that cannot be read or mapped.
package io.liandan.llm.data.io;

import io.liandan.llm.data.Origin;
import java.util.Locale;

/**
 * A dataset file or row that cannot be used as it is. The message always starts with {@code
 * file:line} (JSONL) or {@code file:row} (Parquet, JSON arrays) and names the field at fault, e.g.
 * {@code data.jsonl:17: conversations[2].from: expected an assistant turn (gpt or function_call),
 * got human}, because the user has to find and fix the row.
 *
 * <p>{@link #skippable()} says whether the reader is still usable after it: a bad row is, a broken
 * file (truncated Parquet, a syntax error inside a JSON array) is not.
 */
public class DatasetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong; {@link #reason()} is the key counted in {@code FormatStats}. */
  public enum Kind {
    /** The file as a whole: unreadable, not the type its name says, truncated. Never skippable. */
    FILE,
    BAD_JSON,
    NOT_UTF8,
    NOT_AN_OBJECT,
    MISSING_FIELD,
    WRONG_TYPE,
    UNKNOWN_ROLE,
    ROLE_ORDER,
    EMPTY_PROMPT,
    EMPTY_COMPLETION,
    /** Pretraining text that is empty or blank: always dropped and counted, never an error. */
    EMPTY_TEXT,
    BAD_TOOL_CALL,
    UNSUPPORTED;

    /** Snake-case name, the key in skip counts: {@code missing_field}. */
    public String reason() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Kind kind;
  private final transient Origin origin;
  private final String field;
  private final boolean skippable;

  private DatasetException(
      Kind kind, Origin origin, String field, String message, boolean skippable, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.origin = origin;
    this.field = field;
    this.skippable = skippable;
  }

  /** A problem with one row: "{origin}: {field}: {detail}" (or "{origin}: {detail}"). */
  public static DatasetException row(Kind kind, Origin origin, String field, String detail) {
    String message = origin + ": " + (field == null ? "" : field + ": ") + detail;
    return new DatasetException(kind, origin, field, message, true, null);
  }

  /** "{origin}: missing field '{field}' ({format})". */
  public static DatasetException missingField(Origin origin, String field, String format) {
    String message = origin + ": missing field '" + field + "' (" + format + ")";
    return new DatasetException(Kind.MISSING_FIELD, origin, field, message, true, null);
  }

  /** "{origin}: {field}: expected {expected}, got {found}". */
  public static DatasetException wrongType(
      Origin origin, String field, String expected, String found) {
    return row(Kind.WRONG_TYPE, origin, field, "expected " + expected + ", got " + found);
  }

  /** A row-level problem found while reading, after which the reader cannot go on. */
  public static DatasetException fatal(Kind kind, Origin origin, String detail, Throwable cause) {
    return new DatasetException(kind, origin, null, origin + ": " + detail, false, cause);
  }

  /** The whole file: "{file}: {detail}". */
  public static DatasetException file(String file, String detail, Throwable cause) {
    return new DatasetException(
        Kind.FILE, new Origin(file, 0), null, file + ": " + detail, false, cause);
  }

  public Kind kind() {
    return kind;
  }

  /** File and line (or row) of the bad row; line 0 for a file-level problem. */
  public Origin origin() {
    return origin;
  }

  /** The field at fault as a path ({@code conversations[2].from}), or null. */
  public String field() {
    return field;
  }

  /** Whether the reader can continue with the next row (so skip_invalid may drop this one). */
  public boolean skippable() {
    return skippable;
  }
}
