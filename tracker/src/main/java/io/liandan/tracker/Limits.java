package io.liandan.tracker;

/**
 * Every limit the API enforces, in one place (as MLflow's validation module does). A request over a
 * size limit gets 413; one with a field over a length limit gets 400 naming the field.
 */
public final class Limits {
  /** Whole request body: a batch of 10,000 points with long keys fits with room to spare. */
  public static final long MAX_REQUEST_BYTES = 8L << 20;

  /**
   * Bytes past {@link #MAX_REQUEST_BYTES} the tracker still reads, and drops, before it answers
   * 413, so that a client still sending the body reads the 413 instead of a reset connection; a
   * longer body's connection is closed unread.
   */
  public static final long MAX_DRAINED_BYTES = MAX_REQUEST_BYTES;

  /** Points in one {@code POST /runs/{id}/metrics}; clients split larger buffers. */
  public static final int MAX_POINTS_PER_BATCH = 10_000;

  /** Metric keys, as MLflow. */
  public static final int MAX_KEY_LENGTH = 250;

  /**
   * Steps are integers within ±2^53: what a JavaScript chart can represent exactly, and what the
   * downsampling query can carry through double precision without loss.
   */
  public static final long MAX_ABS_STEP = 1L << 53;

  public static final int MAX_NAME_LENGTH = 256;
  public static final int MAX_TAGS = 64;
  public static final int MAX_TAG_LENGTH = 128;
  public static final int MAX_NOTES_LENGTH = 64 * 1024;

  /** Points a downsampled series may return, and the default when maxPoints is absent. */
  public static final int MAX_SERIES_POINTS = 100_000;

  public static final int DEFAULT_SERIES_POINTS = 1_000;

  /** Runs in one compare request. */
  public static final int MAX_COMPARE_RUNS = 100;

  /** Keys in one multi-key series read (a page's charts; clients split longer lists). */
  public static final int MAX_SERIES_KEYS = 100;

  /** Series (runs × keys) in one multi-key compare read. */
  public static final int MAX_SERIES_PER_READ = 1_000;

  /**
   * Series of one multi-key read downsampled at once (threads shared by all requests, each with a
   * pooled connection while it reads): enough to keep PostgreSQL busy on a small machine, well
   * under the connection pool's 16.
   */
  public static final int SERIES_READ_THREADS = 4;

  /**
   * Points one series read may return in all, maxPoints × series: about 8 MB of JSON (≈31 bytes a
   * point). A run page asks for ≤ 1,500 points a chart, so 100 runs × one key fits; four keys ×
   * 100,000 points (12.3 MB, 8 s) does not.
   */
  public static final long MAX_READ_POINTS = 250_000;

  /**
   * Points all series reads in progress may ask for together (each read reserves maxPoints × series
   * before it starts and keeps them until its response is serialized): four reads of {@link
   * #MAX_READ_POINTS}, ~0.3 GB of heap at the ~300 bytes a point a read holds.
   */
  public static final long MAX_READ_POINTS_IN_FLIGHT = 4 * MAX_READ_POINTS;

  /**
   * How long a read waits for points in flight to free up before it is answered 503 with
   * Retry-After (a page's parallel chart requests queue briefly instead of failing).
   */
  public static final int READ_WAIT_SECONDS = 10;

  /** Rows in one samples request and runs in one page of a runs listing. */
  public static final int MAX_SAMPLE_ROWS = 10_000;

  public static final int MAX_PAGE_SIZE = 1_000;
  public static final int DEFAULT_PAGE_SIZE = 100;

  /** MLflow API: param and tag values, and points per get-history page. */
  public static final int MAX_PARAM_VALUE_LENGTH = 6_000;

  public static final int MAX_TAG_VALUE_LENGTH = 8_000;
  public static final int MAX_HISTORY_PAGE = 25_000;

  /** Filter expressions (characters). */
  public static final int MAX_FILTER_LENGTH = 4_096;

  /**
   * Parentheses and {@code not}s a filter may nest: deep nesting recurses in the parser, the SQL
   * renderer and PostgreSQL (1,200 levels overflowed the stack), and no one writes 400 by hand.
   */
  public static final int MAX_FILTER_DEPTH = 400;

  /** Nesting of arrays and objects in any request body (configs nest a few levels). */
  public static final int MAX_JSON_DEPTH = 100;

  /**
   * A run's config, summary or labels object as sent in one request: its size as JSON and its keys
   * at every depth. Every runs listing returns these objects whole, so they stay small (a
   * 70,000-key config made each project listing 7.8 MB); a flattened Hugging Face config has a few
   * hundred.
   */
  public static final int MAX_OBJECT_BYTES = 1 << 20;

  public static final int MAX_OBJECT_KEYS = 10_000;

  private Limits() {}
}
