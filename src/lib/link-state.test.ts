import { describe, expect, test } from "bun:test";
import { fakeTimer } from "../../test/support/fake-timer.ts";
import {
  checkLinkMove,
  createLinkMachine,
  LINK_MOVES,
  type LinkChange,
  type LinkState,
  LinkStateError,
} from "./link-state.ts";

const STATES: readonly LinkState[] = ["stopped", "connecting", "connected", "backing-off", "stopping"];

/** The diagram in link-state.ts, arrow by arrow. */
const DRAWN: readonly (readonly [LinkState, LinkState])[] = [
  ["stopped", "connecting"],
  ["connecting", "connected"],
  ["connecting", "backing-off"],
  ["connected", "backing-off"],
  ["backing-off", "connecting"],
  ["connecting", "stopping"],
  ["connected", "stopping"],
  ["backing-off", "stopping"],
  ["stopping", "stopped"],
];

/** A machine on a fake clock, with every move it made and every connect it asked for. */
function link(random = () => 1) {
  const timer = fakeTimer();
  const changes: LinkChange<string>[] = [];
  let connects = 0;
  const machine = createLinkMachine({
    backoff: { baseMs: 100, capMs: 400 },
    random,
    timer,
    connect: () => {
      connects++;
    },
  });
  machine.onChange((change) => changes.push(change));
  const moves = () => changes.map((c) => `${c.from} → ${c.to}`);
  return { machine, timer, changes, moves, connects: () => connects };
}

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return null;
};

describe("the link state machine", () => {
  test("the guard allows exactly the moves the diagram draws", () => {
    const legal = new Set(DRAWN.map(([from, to]) => `${from} → ${to}`));
    expect(Object.values(LINK_MOVES).flat().length).toBe(DRAWN.length);
    for (const from of STATES) {
      for (const to of STATES) {
        const error = refusal(() => checkLinkMove(from, to));
        if (legal.has(`${from} → ${to}`)) expect(error).toBeNull();
        else expect(error).toMatchObject({ code: "LINK.ILLEGAL_TRANSITION", from, to });
      }
    }
  });

  test("start → up → down → retry → up: each move heard once, in order, with the backoff's delay", () => {
    const { machine, timer, changes, moves, connects } = link();
    expect(machine.state).toBe("stopped");
    machine.start();
    expect(connects()).toBe(1);
    expect(machine.up()).toBe(true);
    expect(machine.down("closed by the peer")).toBe(100);
    expect(changes.at(-1)).toEqual({
      from: "connected",
      to: "backing-off",
      why: "closed by the peer",
      retryInMs: 100,
      attempt: 1,
    });
    timer.advance(99);
    expect(machine.state).toBe("backing-off");
    expect(connects()).toBe(1);
    timer.advance(1);
    expect(machine.state).toBe("connecting");
    expect(connects()).toBe(2);
    expect(machine.up()).toBe(true);
    expect(moves()).toEqual([
      "stopped → connecting",
      "connecting → connected",
      "connected → backing-off",
      "backing-off → connecting",
      "connecting → connected",
    ]);
  });

  test("a failing attempt backs off exponentially, capped; healthy() and start() begin again from the base", () => {
    const { machine, timer } = link();
    machine.start();
    const delays: (number | null)[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(machine.down("refused"));
      timer.advance(1_000);
    }
    expect(delays).toEqual([100, 200, 400, 400]);
    expect(machine.attempt).toBe(4);
    machine.healthy();
    expect(machine.attempt).toBe(0);
    expect(machine.down("refused")).toBe(100);
  });

  test("the delay is drawn: full jitter from the injected random source", () => {
    const { machine } = link(() => 0.25);
    machine.start();
    expect(machine.down("refused")).toBe(25);
  });

  test("stop() from each running state cancels what is pending and ends in stopped", async () => {
    for (const reach of ["connecting", "connected", "backing-off"] as const) {
      const { machine, timer, moves, connects } = link();
      machine.start();
      if (reach !== "connecting") machine.up();
      if (reach === "backing-off") machine.down("lost");
      const seen: LinkState[] = [];
      await machine.stop((from) => {
        seen.push(from);
      });
      expect(seen).toEqual([reach]);
      expect(moves().slice(-2)).toEqual([`${reach} → stopping`, "stopping → stopped"]);
      timer.advance(10_000);
      expect(timer.pending()).toBe(0);
      expect(connects()).toBe(1);
      expect(machine.state).toBe("stopped");
    }
  });

  test("stop during backoff: the retry never fires", async () => {
    const { machine, timer, connects } = link();
    machine.start();
    machine.down("refused");
    expect(timer.pending()).toBe(1);
    await machine.stop();
    expect(timer.pending()).toBe(0);
    timer.advance(10_000);
    expect(connects()).toBe(1);
    expect(machine.state).toBe("stopped");
  });

  test("stop twice: one teardown, one stopping, one stopped; stopping a stopped link does nothing", async () => {
    const { machine, moves } = link();
    await machine.stop();
    expect(moves()).toEqual([]);
    machine.start();
    machine.up();
    let teardowns = 0;
    let close = () => {};
    const first = machine.stop(() => {
      teardowns++;
      return new Promise<void>((resolve) => {
        close = resolve;
      });
    });
    const second = machine.stop(() => {
      teardowns++;
    });
    expect(second).toBe(first);
    expect(machine.state).toBe("stopping");
    close();
    await Promise.all([first, second]);
    await machine.stop();
    expect(teardowns).toBe(1);
    expect(moves().filter((m) => m.endsWith("→ stopping") || m.endsWith("→ stopped"))).toEqual([
      "connected → stopping",
      "stopping → stopped",
    ]);
  });

  test("a teardown that fails still leaves the link stopped, and stop() rejects with its error", async () => {
    const { machine } = link();
    machine.start();
    await expect(
      machine.stop(() => {
        throw new Error("socket gone");
      }),
    ).rejects.toThrow("socket gone");
    expect(machine.state).toBe("stopped");
    machine.start();
    expect(machine.state).toBe("connecting");
  });

  test("while stopping or stopped, a connection's reports are ignored", async () => {
    const { machine, timer, moves } = link();
    expect(machine.up()).toBe(false);
    expect(machine.down("late close")).toBeNull();
    machine.start();
    let reports: [boolean, number | null] = [true, 0];
    await machine.stop(() => {
      reports = [machine.up(), machine.down("closed by the teardown")];
    });
    expect(reports).toEqual([false, null]);
    expect(timer.pending()).toBe(0);
    expect(moves()).toEqual(["stopped → connecting", "connecting → stopping", "stopping → stopped"]);
  });

  test("start() while the link runs does nothing; a stopped link starts again with a fresh backoff", async () => {
    const { machine, timer, moves, connects } = link();
    machine.start();
    machine.start();
    machine.up();
    machine.start();
    machine.down("lost");
    machine.start();
    expect(connects()).toBe(1);
    expect(moves()).toEqual(["stopped → connecting", "connecting → connected", "connected → backing-off"]);
    await machine.stop();
    machine.start();
    expect(machine.attempt).toBe(0);
    expect(connects()).toBe(2);
    expect(machine.down("refused")).toBe(100);
    timer.advance(100);
    expect(connects()).toBe(3);
  });

  test("illegal moves are refused with LINK.ILLEGAL_TRANSITION and change nothing", async () => {
    const { machine, timer, changes } = link();
    machine.start();
    machine.up();
    const upTwice = refusal(() => machine.up());
    expect(upTwice).toBeInstanceOf(LinkStateError);
    expect(upTwice).toMatchObject({ code: "LINK.ILLEGAL_TRANSITION", from: "connected", to: "connected" });

    machine.down("lost");
    const heard = changes.length;
    expect(refusal(() => machine.up())).toMatchObject({ from: "backing-off", to: "connected" });
    expect(refusal(() => machine.down("again"))).toMatchObject({ from: "backing-off", to: "backing-off" });
    expect(machine.attempt).toBe(1);
    expect(timer.pending()).toBe(1);
    expect(changes.length).toBe(heard);

    let startWhileStopping: unknown = null;
    await machine.stop(() => {
      startWhileStopping = refusal(() => machine.start());
    });
    expect(startWhileStopping).toMatchObject({ from: "stopping", to: "connecting" });
    expect(machine.state).toBe("stopped");
  });

  test("a listener that stops the link as it backs off cancels the retry; unsubscribed listeners hear nothing", async () => {
    const { machine, timer, connects } = link();
    const stopped: Promise<void>[] = [];
    const off = machine.onChange((change) => {
      if (change.to === "backing-off") stopped.push(machine.stop());
    });
    machine.start();
    machine.down("refused");
    await Promise.all(stopped);
    timer.advance(10_000);
    expect(connects()).toBe(1);
    off();
    machine.start();
    machine.down("refused");
    expect(stopped.length).toBe(1);
    expect(machine.state).toBe("backing-off");
  });
});
