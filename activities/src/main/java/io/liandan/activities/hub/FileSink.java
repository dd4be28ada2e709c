// An HTTP body subscriber that appends each chunk to a file as it arrives, hashing it on the way.
package io.liandan.activities.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.LongConsumer;

/**
 * Why not {@code BodyHandlers.ofInputStream()}: its stream throws as soon as the connection fails,
 * dropping bytes that had already arrived, so a resume offset would depend on timing. This sink
 * writes every chunk the client delivers before the failure, so the {@code .incomplete} file holds
 * exactly what came over the wire, and its length is the next {@code Range} start.
 *
 * <p>Chunks are requested one at a time (back-pressure: the network never outruns the disk). {@link
 * #close()} waits for a chunk being written, so after it the hasher matches the file.
 */
final class FileSink implements BodySubscriber<Long> {
  private final FileChannel channel;
  private final ContentCheck.Hasher hasher;
  private final LongConsumer onBytes;
  private final CompletableFuture<Long> result = new CompletableFuture<>();
  private Flow.Subscription subscription;
  private boolean closed;

  private FileSink(FileChannel channel, ContentCheck.Hasher hasher, LongConsumer onBytes) {
    this.channel = channel;
    this.hasher = hasher;
    this.onBytes = onBytes;
  }

  /**
   * Opens {@code file} to append (a 206 resuming it) or from empty (a 200), feeding {@code hasher},
   * which must already cover the file's current bytes when appending. {@code onBytes} receives the
   * running byte count after each chunk.
   */
  static FileSink open(
      Path file, boolean append, ContentCheck.Hasher hasher, LongConsumer onBytes) {
    OpenOption mode = append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
    try {
      FileChannel ch =
          FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode);
      return new FileSink(ch, hasher, onBytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  ContentCheck.Hasher hasher() {
    return hasher;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(1);
  }

  @Override
  public synchronized void onNext(List<ByteBuffer> items) {
    if (closed) return;
    try {
      for (ByteBuffer b : items) {
        ByteBuffer forHash = b.duplicate();
        while (b.hasRemaining()) channel.write(b);
        hasher.update(forHash);
      }
    } catch (IOException e) {
      subscription.cancel();
      // Unchecked, so that it is told apart from network failures: a full disk is not retried.
      result.completeExceptionally(new UncheckedIOException(e));
      return;
    }
    onBytes.accept(hasher.count());
    subscription.request(1);
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    result.complete(hasher.count());
  }

  @Override
  public CompletionStage<Long> getBody() {
    return result;
  }

  /** Closes the file; a chunk delivered later (after a cancelled exchange) is dropped. */
  synchronized void close() throws IOException {
    closed = true;
    channel.close();
  }
}
