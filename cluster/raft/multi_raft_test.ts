/**
 * Tests of the multi-Raft runtime on the simulated clock, network and disk without faults:
 * several groups per node, batching and coalesced heartbeats, reads, and restart from storage.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MultiRaftNode } from "./multi_raft.ts";
import type { PeerBatch } from "./runtime_interfaces.ts";
import { encodeCommand, KvStateMachine } from "./testing/kv_state_machine.ts";
import { SeededRandom } from "./testing/random.ts";
import { SimScheduler } from "./testing/sim_scheduler.ts";
import { SimNetwork } from "./testing/sim_network.ts";
import { SimDisk } from "./testing/sim_storage.ts";
import { MessageType, RaftRole } from "./types.ts";

const NODE_IDS = [1, 2, 3];
const GROUP_IDS = [10, 20];

class Fixture {
  readonly scheduler = new SimScheduler();
  readonly random = new SeededRandom(11);
  readonly network = new SimNetwork(this.scheduler, this.random.fork(), {
    dropProbability: 0,
    duplicateProbability: 0,
    minDelayMs: 1,
    maxDelayMs: 3,
  }, true);
  readonly disks = new Map(
    NODE_IDS.map((
      id,
    ) => [id, new SimDisk(this.scheduler, this.random.fork(), { minMs: 0, maxMs: 2 })]),
  );
  readonly nodes = new Map<number, MultiRaftNode>();
  readonly machines = new Map<string, KvStateMachine>();
  readonly batches: PeerBatch[] = [];

  start(id: number): MultiRaftNode {
    const transport = this.network.transportFor(id);
    let node: MultiRaftNode | undefined = undefined;
    node = new MultiRaftNode({
      nodeId: id,
      transport: {
        send: (batch) => {
          this.batches.push(batch);
          transport.send(batch);
        },
      },
      clock: this.scheduler.clockFor(() => this.nodes.get(id) === node),
      random: this.random.fork(),
      storage: this.disks.get(id)!,
      tickIntervalMs: 10,
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 2,
      snapshotIntervalEntries: 5,
      snapshotKeepEntries: 2,
    });
    for (const groupId of GROUP_IDS) {
      const machine = new KvStateMachine();
      this.machines.set(`${id}/${groupId}`, machine);
      node.addGroup(groupId, machine, { initialVoters: NODE_IDS });
    }
    this.nodes.set(id, node);
    this.network.attach(id, (batch) => node!.receive(batch));
    node.start();
    return node;
  }

  crash(id: number): void {
    this.nodes.get(id)!.stop();
    this.nodes.delete(id);
    this.network.detach(id);
    this.disks.get(id)!.crash();
  }

  run(durationMs: number): void {
    this.scheduler.runUntil(this.scheduler.nowMs + durationMs, 1_000_000);
  }

  leader(groupId: number): MultiRaftNode {
    const leaders = [...this.nodes.values()].filter((node) =>
      node.status(groupId).role === RaftRole.Leader
    );
    assert.equal(leaders.length, 1, `group ${groupId} has ${leaders.length} leaders`);
    return leaders[0]!;
  }

  put(groupId: number, opId: number, key: string, value: number): void {
    const data = encodeCommand({ opId, input: { kind: "put", key, value } });
    const result = this.leader(groupId).propose(groupId, data);
    assert.equal(result.ok, true);
  }
}

function started(): Fixture {
  const fixture = new Fixture();
  for (const id of NODE_IDS) fixture.start(id);
  fixture.run(1_000);
  return fixture;
}

Deno.test("MultiRaftNode elects a leader in every group and replicates writes", () => {
  const fixture = started();
  fixture.put(10, 1, "a", 5);
  fixture.put(20, 2, "b", 6);
  fixture.run(200);
  for (const id of NODE_IDS) {
    assert.equal(fixture.machines.get(`${id}/10`)!.read("a"), 5);
    assert.equal(fixture.machines.get(`${id}/20`)!.read("b"), 6);
    assert.equal(fixture.machines.get(`${id}/10`)!.read("b"), null);
  }
});

Deno.test("MultiRaftNode coalesces heartbeats of all groups into one batch per peer", () => {
  const fixture = started();
  fixture.batches.length = 0;
  fixture.run(100);
  const withHeartbeats = fixture.batches.filter((batch) => batch.heartbeats.length > 0);
  assert.ok(withHeartbeats.length > 0);
  for (const batch of fixture.batches) {
    const fullHeartbeats = batch.messages.filter((entry) =>
      entry.message.type === MessageType.Heartbeat ||
      entry.message.type === MessageType.HeartbeatResponse
    );
    assert.equal(fullHeartbeats.length, 0);
  }
  // When one node leads both groups, a single batch carries both groups' heartbeats.
  if (fixture.leader(10) === fixture.leader(20)) {
    assert.ok(withHeartbeats.some((batch) => batch.heartbeats.length === 2));
  }
});

Deno.test("MultiRaftNode confirms reads only at the leader", () => {
  const fixture = started();
  const leader = fixture.leader(10);
  const follower = [...fixture.nodes.values()].find((node) => node !== leader)!;
  const outcomes: boolean[] = [];
  follower.read(10, (confirmed) => outcomes.push(confirmed));
  assert.deepEqual(outcomes, [false]);
  leader.read(10, (confirmed) => outcomes.push(confirmed));
  assert.deepEqual(outcomes, [false]);
  fixture.run(50);
  assert.deepEqual(outcomes, [false, true]);
});

Deno.test("MultiRaftNode restarts from storage with its log and snapshot", () => {
  const fixture = started();
  for (let opId = 1; opId <= 12; opId++) fixture.put(10, opId, "k", opId);
  fixture.run(300);
  const victim = NODE_IDS.find((id) => fixture.nodes.get(id) !== fixture.leader(10))!;
  const before = fixture.machines.get(`${victim}/10`)!;
  assert.equal(before.read("k"), 12);
  fixture.crash(victim);
  fixture.start(victim);
  const restarted = fixture.nodes.get(victim)!;
  // The state machine starts from the durable snapshot, then replays the log.
  assert.ok(restarted.status(10).applied >= 5);
  fixture.run(500);
  const after = fixture.machines.get(`${victim}/10`)!;
  assert.equal(after.read("k"), 12);
  assert.equal(after.appliedHash, before.appliedHash);
});

Deno.test("MultiRaftNode applies each command once per replica", () => {
  const fixture = started();
  const seen = new Map<number, number>();
  fixture.put(20, 1, "x", 1);
  fixture.run(200);
  for (const id of NODE_IDS) {
    const machine = fixture.machines.get(`${id}/20`)!;
    for (const opId of machine.results.keys()) seen.set(opId, (seen.get(opId) ?? 0) + 1);
  }
  assert.equal(seen.get(1), 3);
  assert.equal(seen.size, 1);
});

Deno.test("MultiRaftNode fails an unconfirmed read when leadership is lost", () => {
  const fixture = started();
  const leader = fixture.leader(10);
  for (const id of NODE_IDS) {
    if (id === leader.nodeId) continue;
    fixture.network.cut(leader.nodeId, id);
    fixture.network.cut(id, leader.nodeId);
  }
  const outcomes: boolean[] = [];
  leader.read(10, (confirmed) => outcomes.push(confirmed));
  fixture.run(50);
  assert.deepEqual(outcomes, []);
  // Check-quorum makes the cut-off leader step down within two election timeouts.
  fixture.run(400);
  assert.notEqual(leader.status(10).role, RaftRole.Leader);
  assert.deepEqual(outcomes, [false]);
});
