package io.liandan.llm.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.tensor.Scalars;
import io.liandan.llm.tensor.Scoped;
import java.util.List;

/**
 * One optimizer step of causal-LM training, top to bottom: set lr → micro-steps (gradient
 * accumulation) → clip → AdamW step. The loss of each micro-batch is its summed token loss over the
 * token count of the whole step, as transformers ≥ 4.46 does, so that accumulating k micro-batches
 * gives exactly the gradient of one batch k times larger.
 */
public final class CausalLmTrainer {
  /** What a step reports: mean token loss, grad norm before clipping, lr used, tokens seen. */
  public record StepResult(double loss, double gradNorm, double lr, long tokens) {}

  private final Decoder model;
  private final Optimization opt;
  private GradScaler scaler; // fp16: dynamic loss scaling; null = none
  private boolean checkpointing; // gradient_checkpointing: re-run layers in backward
  private long headPieceFloats = HeadPieces.FLOATS; // logits a head piece
  private boolean exactPieces; // tests: exactly headPieceFloats, even where the head trains

  public CausalLmTrainer(Decoder model, Optimization opt) {
    this.model = model;
    this.opt = opt;
  }

  /** fp16: scale the loss before backward and skip steps whose gradients overflow. */
  public CausalLmTrainer withLossScaling(GradScaler scaler) {
    this.scaler = scaler;
    return this;
  }

  /**
   * gradient_checkpointing: keep only each layer's input and re-run the layer in backward ({@link
   * LayerCheckpoints}). With or without it, the head and loss run in {@link HeadPieces}, so the (B,
   * T, V) logits and their gradient never exist whole.
   */
  public CausalLmTrainer withGradientCheckpointing(boolean on) {
    this.checkpointing = on;
    return this;
  }

  public StepResult step(List<MicroBatch> micro) {
    StepSeed.apply(opt.seed(), opt.step());
    double lr = opt.lr();
    long total = micro.stream().mapToLong(MicroBatch::countedTokens).sum();
    long tokens = micro.stream().mapToLong(mb -> (long) mb.batch() * mb.seq()).sum();
    double loss = 0;
    NDManager m = model.manager();
    long vocab = model.config().vocabSize();
    long pieceFloats = HeadPieces.floats(model, headPieceFloats, exactPieces);
    for (int k = 0; k < micro.size(); k++) {
      MicroBatch mb = micro.get(k);
      try (NDScope scope = new NDScope();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        Shape s = new Shape(mb.batch(), mb.seq());
        NDArray ids = m.create(mb.ids(), s), labels = m.create(mb.labels(), s);
        NDArray mask = mb.mask() == null ? null : m.create(mb.mask(), s);
        NDArray tokenCount = Scalars.of(m, Math.max(total, 1));
        NDArray hidden, top; // (B, T, C): the last layer's output, and the head's detached input
        LayerCheckpoints ck = null;
        if (checkpointing) {
          long dropoutSeed = StepSeed.microBatch(opt.seed(), opt.step(), k);
          ck = LayerCheckpoints.forward(model, ids, mask, dropoutSeed, true);
          hidden = null;
          top = ck.hidden();
        } else {
          hidden = model.hidden(ids, mask, true);
          top = hidden.stopGradient();
          top.setRequiresGradient(true);
        }
        // the batch's B·T positions as one row (1, B·T, C): the loss sums over positions, so the
        // pieces may cut across sequences, and only the last is shorter than the rest
        long n = (long) mb.batch() * mb.seq();
        NDArray flat = top.reshape(1, n, -1), target = TokenLogps.targets(labels).reshape(1, n);
        NDArray pieces = null; // the pieces' losses, summed on the device: one read, one sync
        for (HeadPieces.Piece piece : HeadPieces.of(1, n, vocab, pieceFloats)) {
          NDIndex at = piece.index();
          NDArray l =
              Scoped.keep( // the piece's logits die with its backward
                  () -> {
                    NDArray pl =
                        HeadPieces.tokenLogps(model, flat.get(at), target.get(at))
                            .sumLoss()
                            .div(tokenCount);
                    gc.backward(GradScaler.scaled(scaler, pl));
                    return pl;
                  });
          pieces = pieces == null ? l : pieces.add(l);
        }
        if (ck != null) ck.backward();
        else JniUtils.backward((PtNDArray) hidden, (PtNDArray) top.getGradient(), false, false);
        loss += pieces.getFloat();
      }
    }
    double norm = opt.apply(scaler, lr);
    return new StepResult(loss, norm, lr, tokens);
  }

  /** Tests: a smaller head piece, so that a small model's batch is split too. */
  CausalLmTrainer headPieceFloats(long floats) {
    this.headPieceFloats = floats;
    this.exactPieces = true;
    return this;
  }
}
