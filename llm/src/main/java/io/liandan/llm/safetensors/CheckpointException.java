// The one exception type for unreadable or inconsistent checkpoint files.
package io.liandan.llm.safetensors;

import java.nio.file.Path;

/**
 * A checkpoint file that cannot be used as it is. The message always starts with the file's full
 * path and names the tensor where one is at fault, because the user has to find and fix the file.
 */
public class CheckpointException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public CheckpointException(String message) {
    this(message, (Throwable) null);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
    this.file = null;
  }

  /** Message becomes "{absolute file}: {detail}". */
  public CheckpointException(Path file, String detail) {
    this(file, detail, null);
  }

  public CheckpointException(Path file, String detail, Throwable cause) {
    super(file.toAbsolutePath() + ": " + detail, cause);
    this.file = file.toAbsolutePath();
  }

  /** The file at fault, or null when the message was built by the caller. */
  public Path file() {
    return file;
  }
}
