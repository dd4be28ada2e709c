package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.tensor.NoGrad;
import java.util.ArrayList;
import java.util.List;

/**
 * How the head and loss of a (B, T) batch are cut so that at most {@code floats} logits exist at
 * once: whole sequences together while they fit, else spans of positions within one sequence (the
 * causal-LM loss, a sum over positions, passes its batch as one (1, B·T) sequence, so that its
 * spans run across sequences and only the last is short). Each piece is run, its loss
 * backpropagated into the (detached) final hidden state, and dropped before the next: the (B, T, V)
 * logits, their log-softmax and their gradient never exist whole.
 */
public final class HeadPieces {
  /**
   * Logits per piece by default: 16 M floats, 64 MiB — at a 152K vocabulary about 110 positions,
   * whose head matmul still runs at GEMM speed.
   */
  public static final long FLOATS = 1L << 24;

  private HeadPieces() {}

  /**
   * Logits a piece of {@code model}'s head may hold: {@code floats}, or where the head's weight
   * trains (full fine-tuning) at least as many as the weight has values — each piece's backward
   * adds a whole (V, C) gradient into the weight's, which at 16 M logits a piece cost full
   * fine-tuning of the 0.5B shape 14 % of its speed; with pieces of V·C logits (C positions) that
   * is small beside the piece's own matmuls. {@code exact}: tests, {@code floats} as given.
   */
  public static long floats(Decoder model, long floats, boolean exact) {
    NDArray head = model.weights().lmHead();
    if (exact || !JniUtils.requiresGrad((PtNDArray) head)) return floats;
    return Math.max(floats, head.getShape().size());
  }

  /** One piece: rows [from, to) and, when a sequence is cut, positions [t0, t1). */
  public record Piece(long from, long to, long t0, long t1) {
    /** [from:to, t0:t1] of a (B, T, …) tensor. */
    public NDIndex index() {
      return new NDIndex().addSliceDim(from, to).addSliceDim(t0, t1);
    }

    /** [from:to] of a (B, …) tensor: the piece's sequences. */
    public NDIndex rows() {
      return new NDIndex().addSliceDim(from, to);
    }
  }

  /** {@link #sequenceLogps(Decoder, NDArray, NDArray, long)} in pieces of {@link #FLOATS}. */
  public static NDArray sequenceLogps(Decoder model, NDArray hidden, NDArray labels) {
    return sequenceLogps(model, hidden, labels, FLOATS);
  }

  /**
   * (B) sequence log-probs of {@code labels} (B, T) from {@code model}'s head over its last hidden
   * state (B, T, C), piece by piece without a graph: a span adds to its sequence's sum.
   */
  public static NDArray sequenceLogps(Decoder model, NDArray hidden, NDArray labels, long floats) {
    long B = hidden.getShape().get(0), T = hidden.getShape().get(1);
    NDArray target = TokenLogps.targets(labels);
    NDArray all = hidden.getManager().zeros(new Shape(B));
    try (NoGrad ng = new NoGrad()) {
      for (Piece piece : of(B, T, model.config().vocabSize(), floats)) {
        try (NDScope scope = new NDScope()) {
          // a span adds to its sequence's sum
          all.set(piece.rows(), all.get(piece.rows()).add(logps(model, hidden, target, piece)));
        }
      }
    }
    return all;
  }

  /**
   * (rows) one piece's part of its sequences' log-probs: the head over the piece's positions of
   * {@code hidden} (B, T, C), scored against {@code target} (B, T) from {@link TokenLogps#targets}.
   * Differentiable where autograd records.
   */
  static NDArray logps(Decoder model, NDArray hidden, NDArray target, Piece piece) {
    NDIndex at = piece.index();
    return tokenLogps(model, hidden.get(at), target.get(at)).perSequence();
  }

  /**
   * The log-probs of {@code target} (b, t) under {@code model}'s head over {@code x} (b, t, C). The
   * (b, t, V) logits are freed as soon as their log-softmax exists: its backward needs its output,
   * not its input, and a piece's logits are as large as the piece (545 MB at full fine-tuning's);
   * autograd keeps its own reference wherever an op saved them.
   */
  static TokenLogps tokenLogps(Decoder model, NDArray x, NDArray target) {
    NDArray logits = model.head(x);
    TokenLogps lp = TokenLogps.ofTargets(logits, target);
    logits.close();
    return lp;
  }

  /** Pieces covering (B, T), each with at most {@code floats} logits (at least one position). */
  public static List<Piece> of(long B, long T, long vocab, long floats) {
    List<Piece> out = new ArrayList<>();
    long rows = floats / (T * vocab);
    if (rows >= 1) {
      for (long r = 0; r < B; r += rows) out.add(new Piece(r, Math.min(r + rows, B), 0, T));
      return out;
    }
    long span = Math.max(1, floats / vocab); // positions of one sequence per piece
    for (long r = 0; r < B; r++) {
      for (long t = 0; t < T; t += span) out.add(new Piece(r, r + 1, t, Math.min(t + span, T)));
    }
    return out;
  }
}
