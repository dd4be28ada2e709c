package io.liandan.llm.data.tokenize;

import java.util.function.Consumer;

/**
 * Sequence packing for pretraining: each document's ids followed by EOS, concatenated, cut into
 * blocks of {@code blockSize} tokens (every token trained); the tail that does not fill a block is
 * dropped and counted, as transformers' run_clm group_texts does.
 */
public final class PretrainPacker {
  private final int blockSize;
  private final int eos;
  private final Consumer<int[]> out;
  private final int[] block;
  private int fill;
  private long documents;

  public PretrainPacker(int blockSize, int eos, Consumer<int[]> out) {
    if (blockSize < 2)
      throw new IllegalArgumentException("block_size must be >= 2, got " + blockSize);
    this.blockSize = blockSize;
    this.eos = eos;
    this.out = out;
    this.block = new int[blockSize];
  }

  public void add(int[] ids) {
    documents++;
    for (int id : ids) put(id);
    put(eos);
  }

  private void put(int id) {
    block[fill++] = id;
    if (fill == blockSize) {
      out.accept(block.clone());
      fill = 0;
    }
  }

  public long documents() {
    return documents;
  }

  /** Tokens left over that did not fill a block: dropped. */
  public int remainder() {
    return fill;
  }
}
