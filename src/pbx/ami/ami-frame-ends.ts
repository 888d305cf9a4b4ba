const LF = 10;
const CR = 13;

/**
 * Where frames end in the AMI wire read as bytes, without parsing it: after each blank line (an
 * LF ending a line that is empty or a lone CR, as the parser reads it: ami-parser.ts). Chunks split
 * anywhere; what a line began in one chunk is carried to the next. O(line feeds), no copies.
 */
export class FrameEnds {
  /** Bytes of the current line seen in earlier chunks (2 is "more than one"). */
  private carry = 0;
  /** That line so far is a lone CR. */
  private carryCr = false;

  /** The offsets in `chunk` just after each frame's end. */
  scan(chunk: Uint8Array): number[] {
    const ends: number[] = [];
    let start = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, start)) {
      const length = this.carry + (lf - start);
      const lastIsCr = lf > start ? chunk[lf - 1] === CR : this.carryCr;
      if (length === 0 || (length === 1 && lastIsCr)) ends.push(lf + 1);
      this.carry = 0;
      this.carryCr = false;
      start = lf + 1;
    }
    const tail = chunk.length - start;
    if (tail > 0) {
      this.carryCr = this.carry === 0 && tail === 1 && chunk[start] === CR;
      this.carry = Math.min(2, this.carry + tail);
    }
    return ends;
  }

  /** A new connection: nothing carried. */
  reset(): void {
    this.carry = 0;
    this.carryCr = false;
  }
}
