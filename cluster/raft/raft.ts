/**
 * The Raft consensus core for one replica of one group: a synchronous state machine with no I/O,
 * no clock and no randomness of its own.
 *
 * Inputs are `tick()`, `step(message)`, proposals, read requests and membership changes. Outputs
 * accumulate in `messages` and `readStates` and in the log's unstable tail and commit index, which
 * `RawNode` turns into Ready batches. Time is counted in ticks that the caller delivers, and the
 * randomized election timeout draws from the injected {@linkcode RandomSource}.
 *
 * Rules kept here, each checked by `raft_paper_test.ts` and friends:
 * - at most one vote per term, and only for a candidate whose log is at least as up to date;
 * - pre-vote: a replica first polls the voters on whether it could win, without raising its term, so a
 *   partitioned replica cannot disrupt a healthy leader when it returns;
 * - check-quorum: a leader that has not heard from a majority for an election timeout steps down,
 *   and a replica that heard from a leader within that time ignores vote requests;
 * - a leader counts replicas towards a commit only for entries of its own term;
 * - a membership change is proposed only after the previous one is applied (`conf_change.ts`).
 *
 * Lease reads (`readMode: "lease"`) let the leader serve a read without a heartbeat round while
 * its lease lasts: until `electionTimeoutTicks - clockDriftBoundTicks` ticks after it sent a
 * heartbeat round that a majority acknowledged. This is safe only while no replica's clock runs
 * slower than the leader's by more than `clockDriftBoundTicks` per election timeout, and because
 * in lease mode a replica also ignores vote requests for one election timeout after it starts.
 * NOTE: a transfer's campaign skips that rule, so leases also assume that a TimeoutNow message
 * arrives within one election timeout (the leader drops its lease for the transfer and may take
 * a new one once the transfer is abandoned after that time).
 *
 * @module
 */

import { assert } from "../../util/assert.ts";
import { type Logger, silentLogger } from "../../util/logger.ts";
import { type ConfChange, ConfChangeType, encodeConfChange } from "./conf_change.ts";
import { type LogStorage, SnapshotUnavailableError } from "./log_storage.ts";
import { Progress, ProgressState } from "./progress.ts";
import { ProgressTracker } from "./progress_tracker.ts";
import { VoteResult } from "./quorum.ts";
import { RaftLog } from "./raft_log.ts";
import { ReadOnlyTracker } from "./read_only.ts";
import {
  CAMPAIGN_TRANSFER_CONTEXT,
  type ConfState,
  type Entry,
  EntryType,
  makeMessage,
  type Message,
  MessageType,
  NO_NODE,
  type NodeId,
  RAFT_ROLE_NAMES,
  RaftRole,
  type ReadState,
  type Snapshot,
} from "./types.ts";

/** Source of randomness for election timeouts. */
export interface RandomSource {
  /** Returns an integer in [0, bound). */
  intBelow(bound: number): number;
}

/** Method the leader uses to confirm linearizable reads. */
export type ReadMode = "read-index" | "lease";

/** Settings of one replica. */
export interface RaftConfig {
  id: NodeId;
  storage: LogStorage;
  random: RandomSource;
  /** Ticks without a leader before campaigning; the actual timeout is in [this, 2 * this). */
  electionTimeoutTicks: number;
  /** Ticks between leader heartbeats; must be below `electionTimeoutTicks`. */
  heartbeatIntervalTicks: number;
  /** Index the state machine has already applied (its snapshot index after a restart). */
  applied?: number;
  /** Maximum entry data per append message. Default 1 MiB. */
  maxMessageSizeBytes?: number;
  /** Maximum appends in flight per follower in replicate state. Default 256. */
  maxInflightMessages?: number;
  /** Maximum entry data per batch of committed entries in a Ready. Default 16 MiB. */
  maxApplySizeBytes?: number;
  /**
   * Maximum data of entries a leader has appended in its term and not yet committed. Proposals
   * past it are rejected, so a leader cut off from its followers stops growing its log.
   * Default 64 MiB.
   */
  maxUncommittedSizeBytes?: number;
  /** Maximum reads waiting for confirmation; further reads are rejected. Default 4096. */
  maxPendingReads?: number;
  /** Default true. */
  preVote?: boolean;
  /** Default true. Required by lease reads. */
  checkQuorum?: boolean;
  /** Default "read-index". */
  readMode?: ReadMode;
  /** Lease mode only: how far a replica's clock may lag the leader's per election timeout. */
  clockDriftBoundTicks?: number;
  logger?: Logger;
  /**
   * Breaks the vote rule by granting votes whatever the candidate's log. Only tests set this,
   * to prove the simulator detects the resulting lost writes.
   */
  testingGrantVotesToShorterLogs?: boolean;
}

/** Reason a proposal was not appended. */
export type ProposalRejection =
  | "not-leader"
  | "leadership-transfer"
  | "conf-change-pending"
  | "invalid-conf-change"
  | "too-many-uncommitted";

/** Outcome of a proposal: where the entry went, or why it was dropped. */
export type ProposalResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly reason: ProposalRejection; readonly leader: NodeId };

type CampaignKind = "pre-election" | "election" | "transfer";

/** One replica of one Raft group. */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NO_NODE;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  role: RaftRole = RaftRole.Follower;
  leader: NodeId = NO_NODE;
  isLearner = false;
  /** Outgoing messages, drained by `RawNode.ready()`. */
  messages: Message[] = [];
  /** Confirmed reads, drained by `RawNode.ready()`. */
  readStates: ReadState[] = [];
  /** Voter receiving leadership, while a transfer is under way. */
  leadTransferee: NodeId = NO_NODE;
  /** Index of the latest membership change proposed by this leader; none may follow unapplied. */
  pendingConfIndex = 0;
  electionElapsedTicks = 0;
  heartbeatElapsedTicks = 0;
  randomizedElectionTimeoutTicks = 0;
  /** Ticks since this replica started; the lease clock. */
  tickCount = 0;
  /** Lease mode: the leader may serve reads locally while `tickCount` is below this. */
  leaseExpiryTick = 0;

  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly maxMessageSizeBytes: number;
  readonly maxUncommittedSizeBytes: number;
  readonly maxPendingReads: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly readMode: ReadMode;
  readonly clockDriftBoundTicks: number;
  readonly #random: RandomSource;
  readonly #logger: Logger;
  readonly #grantVotesToShorterLogs: boolean;
  readonly #readOnly = new ReadOnlyTracker();
  /** Reads requested before this leader committed an entry of its term. */
  #readsAwaitingTermCommit: number[] = [];
  /** Data of entries appended by this leader in its term and not yet committed. */
  #uncommittedSizeBytes = 0;

  constructor(config: RaftConfig) {
    validateConfig(config);
    this.id = config.id;
    this.electionTimeoutTicks = config.electionTimeoutTicks;
    this.heartbeatIntervalTicks = config.heartbeatIntervalTicks;
    this.maxMessageSizeBytes = config.maxMessageSizeBytes ?? 1024 * 1024;
    this.maxUncommittedSizeBytes = config.maxUncommittedSizeBytes ?? 64 * 1024 * 1024;
    this.maxPendingReads = config.maxPendingReads ?? 4096;
    this.preVote = config.preVote ?? true;
    this.checkQuorum = config.checkQuorum ?? true;
    this.readMode = config.readMode ?? "read-index";
    this.clockDriftBoundTicks = config.clockDriftBoundTicks ?? 0;
    this.#random = config.random;
    this.#logger = (config.logger ?? silentLogger).child({ node: config.id });
    this.#grantVotesToShorterLogs = config.testingGrantVotesToShorterLogs ?? false;
    this.log = new RaftLog(config.storage, config.maxApplySizeBytes ?? 16 * 1024 * 1024);
    this.tracker = new ProgressTracker(config.maxInflightMessages ?? 256);

    const { hardState, confState } = config.storage.initialState();
    this.tracker.reset(confState, this.log.lastIndex() + 1);
    this.isLearner = this.tracker.learners.has(this.id);
    if (hardState.term > 0 || hardState.commit > 0) {
      assert(
        hardState.commit <= this.log.lastIndex(),
        `persisted commit ${hardState.commit} past last index ${this.log.lastIndex()}`,
      );
      this.log.commitTo(hardState.commit);
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    if (config.applied !== undefined && config.applied > 0) this.log.appliedTo(config.applied);
    this.becomeFollower(this.term, NO_NODE);
  }

  // ---- Inputs ------------------------------------------------------------------------------

  /** Advances logical time by one tick. */
  tick(): void {
    this.tickCount++;
    if (this.role === RaftRole.Leader) this.#tickLeader();
    else this.#tickElection();
  }

  /** Starts an election now, as if the election timeout had passed. */
  campaign(): void {
    this.#hup(false);
  }

  /** Handles a message from a peer. Messages from an older term are mostly ignored. */
  step(message: Message): void {
    if (message.term > this.term) {
      if (this.#ignoresVoteRequest(message)) return;
      this.#observeHigherTerm(message);
    } else if (message.term < this.term) {
      this.#answerStaleMessage(message);
      return;
    }

    if (message.type === MessageType.RequestVote || message.type === MessageType.RequestPreVote) {
      this.#handleVoteRequest(message);
      return;
    }
    switch (this.role) {
      case RaftRole.Follower:
        this.#stepFollower(message);
        break;
      case RaftRole.PreCandidate:
      case RaftRole.Candidate:
        this.#stepCandidate(message);
        break;
      case RaftRole.Leader:
        this.#stepLeader(message);
        break;
    }
  }

  /** Appends an application command if this replica leads. */
  propose(data: Uint8Array): ProposalResult {
    const rejection = this.#proposalRejection();
    if (rejection) return { ok: false, reason: rejection, leader: this.leader };
    // An empty log is always allowed one entry, so a single oversized command can still commit.
    if (
      this.#uncommittedSizeBytes > 0 &&
      this.#uncommittedSizeBytes + data.byteLength > this.maxUncommittedSizeBytes
    ) {
      return { ok: false, reason: "too-many-uncommitted", leader: this.leader };
    }
    const index = this.#appendEntries([{ type: EntryType.Normal, data }]);
    this.#broadcastAppend();
    return { ok: true, index, term: this.term };
  }

  /**
   * Appends a membership change if this replica leads, its previous change is applied, and it
   * has committed an entry of its own term (both are implied by `pendingConfIndex <= applied`,
   * since a new leader sets `pendingConfIndex` to its last index).
   */
  proposeConfChange(change: ConfChange): ProposalResult {
    const rejection = this.#proposalRejection() ?? this.#confChangeRejection(change);
    if (rejection) return { ok: false, reason: rejection, leader: this.leader };
    const data = encodeConfChange(change);
    const index = this.#appendEntries([{ type: EntryType.ConfChange, data }]);
    this.pendingConfIndex = index;
    this.#logger.info("raft.conf_change_proposed", { term: this.term, index, ...change });
    this.#broadcastAppend();
    return { ok: true, index, term: this.term };
  }

  /**
   * Requests a linearizable read. Returns false unless this replica leads; otherwise a
   * {@linkcode ReadState} with `requestId` appears in `readStates` once confirmed. A read is
   * dropped without notice if leadership is lost first, so callers need a timeout.
   */
  readIndex(requestId: number): boolean {
    if (this.role !== RaftRole.Leader) return false;
    const pending = this.#readOnly.pendingCount() + this.#readsAwaitingTermCommit.length;
    if (pending >= this.maxPendingReads) return false;
    if (!this.#committedInCurrentTerm()) {
      this.#readsAwaitingTermCommit.push(requestId);
      return true;
    }
    this.#startRead([requestId]);
    return true;
  }

  /** Hands leadership to voter `target`. Returns false when this replica cannot do so. */
  transferLeadership(target: NodeId): boolean {
    if (this.role !== RaftRole.Leader || target === this.id) return false;
    if (!this.tracker.voters.has(target)) return false;
    if (this.leadTransferee === target) return true;
    this.#abortLeaderTransfer();
    this.leadTransferee = target;
    // The transfer is abandoned after one election timeout (see #tickLeader).
    this.electionElapsedTicks = 0;
    this.leaseExpiryTick = 0;
    this.#logger.info("raft.leader_transfer_started", { term: this.term, target });
    const progress = this.tracker.progress.get(target)!;
    if (progress.match === this.log.lastIndex()) this.#sendTimeoutNow(target);
    else this.#sendAppend(target);
    return true;
  }

  /** Notes that the last message to `id` could not be delivered. */
  reportUnreachable(id: NodeId): void {
    const progress = this.tracker.progress.get(id);
    if (this.role !== RaftRole.Leader || !progress) return;
    if (progress.state === ProgressState.Replicate) progress.becomeProbe();
  }

  /** Notes whether the snapshot sent to `id` arrived; either way probing resumes later. */
  reportSnapshot(id: NodeId, delivered: boolean): void {
    const progress = this.tracker.progress.get(id);
    if (this.role !== RaftRole.Leader || !progress) return;
    if (progress.state !== ProgressState.Snapshot) return;
    if (!delivered) progress.pendingSnapshot = 0;
    progress.becomeProbe();
    // Wait for the follower's response (or the next heartbeat) before sending again.
    progress.probeSent = true;
  }

  /**
   * Applies a committed membership change. The application calls this when it applies the
   * change's entry, on every replica. Returns the membership now in force.
   */
  applyConfChange(change: ConfChange): ConfState {
    const next = this.log.lastIndex() + 1;
    if (change.type === ConfChangeType.AddVoter) this.tracker.addVoter(change.nodeId, next);
    else if (change.type === ConfChangeType.AddLearner) {
      this.tracker.addLearner(change.nodeId, next);
    } else this.tracker.remove(change.nodeId);
    this.isLearner = this.tracker.learners.has(this.id);
    this.#logger.info("raft.conf_change_applied", {
      term: this.term,
      ...change,
      voters: [...this.tracker.voters],
      learners: [...this.tracker.learners],
    });
    if (this.role === RaftRole.Leader) this.#afterLeaderConfChange();
    return this.tracker.confState();
  }

  /** Called by `RawNode.advance()` after the application applied entries up to `applied`. */
  onApplied(): void {
    this.#releaseReadsAwaitingTermCommit();
  }

  // ---- Role changes ------------------------------------------------------------------------

  becomeFollower(term: number, leader: NodeId): void {
    const previousRole = this.role;
    this.#reset(term);
    this.leader = leader;
    this.role = RaftRole.Follower;
    if (previousRole !== RaftRole.Follower) this.#logRole();
  }

  #becomePreCandidate(): void {
    assert(this.role !== RaftRole.Leader, "leader cannot become pre-candidate");
    // Pre-vote changes neither term nor vote, so a losing pre-candidate disturbs no other replica.
    this.tracker.resetVotes();
    this.leader = NO_NODE;
    this.role = RaftRole.PreCandidate;
    this.#logRole();
  }

  #becomeCandidate(): void {
    assert(this.role !== RaftRole.Leader, "leader cannot become candidate");
    this.#reset(this.term + 1);
    this.vote = this.id;
    this.role = RaftRole.Candidate;
    this.#logRole();
  }

  #becomeLeader(): void {
    assert(this.role !== RaftRole.Follower, "follower cannot become leader without an election");
    this.#reset(this.term);
    this.leader = this.id;
    this.role = RaftRole.Leader;
    this.tracker.progress.get(this.id)?.becomeReplicate();
    // Entries of earlier terms commit only behind one of this term, so append one at once.
    // Until it is applied, no membership change may be proposed: that also waits out any
    // change an earlier leader left in the log.
    this.pendingConfIndex = this.#appendEntries([
      { type: EntryType.Normal, data: new Uint8Array(0) },
    ]);
    this.#logRole();
  }

  #reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.leader = NO_NODE;
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    this.randomizedElectionTimeoutTicks = this.electionTimeoutTicks +
      this.#random.intBelow(this.electionTimeoutTicks);
    this.#abortLeaderTransfer();
    this.tracker.resetVotes();
    const lastIndex = this.log.lastIndex();
    for (const [id, progress] of this.tracker.progress) {
      this.tracker.progress.set(id, this.#freshProgress(id, progress.isLearner, lastIndex));
    }
    this.pendingConfIndex = 0;
    this.#readOnly.reset();
    this.#readsAwaitingTermCommit = [];
    this.leaseExpiryTick = 0;
    this.#uncommittedSizeBytes = 0;
  }

  #freshProgress(id: NodeId, isLearner: boolean, lastIndex: number): Progress {
    const progress = new Progress({
      match: id === this.id ? lastIndex : 0,
      next: lastIndex + 1,
      maxInflight: this.tracker.maxInflight,
      isLearner,
    });
    progress.recentActive = id === this.id;
    return progress;
  }

  #logRole(): void {
    this.#logger.info(`raft.became_${RAFT_ROLE_NAMES[this.role].replace("-", "_")}`, {
      term: this.term,
      leader: this.leader,
      lastIndex: this.log.lastIndex(),
    });
  }

  // ---- Timers -------------------------------------------------------------------------------

  #tickElection(): void {
    this.electionElapsedTicks++;
    if (this.#promotable() && this.electionElapsedTicks >= this.randomizedElectionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      this.#hup(false);
    }
  }

  #tickLeader(): void {
    this.heartbeatElapsedTicks++;
    this.electionElapsedTicks++;
    this.#tickSnapshotWaits();
    if (this.electionElapsedTicks >= this.electionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      if (this.checkQuorum && !this.#checkQuorumActive()) return;
      this.#abortLeaderTransfer();
    }
    if (this.heartbeatElapsedTicks >= this.heartbeatIntervalTicks) {
      this.heartbeatElapsedTicks = 0;
      const round = this.readMode === "lease" ? this.#startLeaseRound() : 0;
      this.#broadcastHeartbeat(round);
    }
  }

  /** Steps down unless a majority responded since the last check. Returns whether still leader. */
  #checkQuorumActive(): boolean {
    if (!this.tracker.quorumActive(this.id)) {
      this.#logger.warn("raft.check_quorum_failed", { term: this.term });
      this.becomeFollower(this.term, NO_NODE);
      return false;
    }
    for (const [id, progress] of this.tracker.progress) {
      if (id !== this.id) progress.recentActive = false;
    }
    return true;
  }

  /** Gives up on snapshots unanswered for an election timeout, so a lost one is resent. */
  #tickSnapshotWaits(): void {
    for (const progress of this.tracker.progress.values()) {
      if (progress.state !== ProgressState.Snapshot) continue;
      progress.snapshotElapsedTicks++;
      if (progress.snapshotElapsedTicks >= this.electionTimeoutTicks) progress.becomeProbe();
    }
  }

  // ---- Elections ----------------------------------------------------------------------------

  #promotable(): boolean {
    return this.tracker.voters.has(this.id);
  }

  #hup(transfer: boolean): void {
    if (this.role === RaftRole.Leader || !this.#promotable()) return;
    if (this.#hasUnappliedConfChanges()) {
      this.#logger.warn("raft.campaign_deferred", { term: this.term, reason: "unapplied change" });
      return;
    }
    if (transfer) this.#campaign("transfer");
    else this.#campaign(this.preVote ? "pre-election" : "election");
  }

  #hasUnappliedConfChanges(): boolean {
    const low = Math.max(this.log.applied + 1, this.log.firstIndex());
    if (low > this.log.committed) return false;
    const entries = this.log.slice(low, this.log.committed + 1, Infinity);
    return entries.some((entry) => entry.type === EntryType.ConfChange);
  }

  #campaign(kind: CampaignKind): void {
    let voteType: MessageType;
    let voteTerm: number;
    if (kind === "pre-election") {
      this.#becomePreCandidate();
      voteType = MessageType.RequestPreVote;
      voteTerm = this.term + 1;
    } else {
      this.#becomeCandidate();
      voteType = MessageType.RequestVote;
      voteTerm = this.term;
    }
    this.tracker.recordVote(this.id, true);
    if (this.tracker.tallyVotes() === VoteResult.Won) {
      // A single voter wins at once.
      if (kind === "pre-election") this.#campaign("election");
      else this.#becomeLeader();
      return;
    }
    const context = kind === "transfer" ? CAMPAIGN_TRANSFER_CONTEXT : 0;
    for (const voter of this.tracker.voters) {
      if (voter === this.id) continue;
      this.#send({
        type: voteType,
        to: voter,
        term: voteTerm,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        context,
      });
    }
  }

  /**
   * With check-quorum, a replica that heard from a leader within the election timeout ignores
   * vote requests, so a replica that cannot see the leader cannot depose it. A transfer's
   * campaign is exempt. In lease mode the first election timeout after start counts as such a
   * period too, because the replica may have acknowledged a lease before it restarted.
   */
  #ignoresVoteRequest(message: Message): boolean {
    if (message.type !== MessageType.RequestVote && message.type !== MessageType.RequestPreVote) {
      return false;
    }
    if (message.context === CAMPAIGN_TRANSFER_CONTEXT || !this.checkQuorum) return false;
    const knowsLeader = this.leader !== NO_NODE ||
      (this.readMode === "lease" && this.tickCount < this.electionTimeoutTicks);
    return knowsLeader && this.electionElapsedTicks < this.electionTimeoutTicks;
  }

  #observeHigherTerm(message: Message): void {
    if (message.type === MessageType.RequestPreVote) return;
    // A granted pre-vote carries the term the candidate will use, not one anybody is in yet.
    if (message.type === MessageType.RequestPreVoteResponse && !message.reject) return;
    const fromLeader = message.type === MessageType.AppendEntries ||
      message.type === MessageType.Heartbeat || message.type === MessageType.InstallSnapshot;
    this.becomeFollower(message.term, fromLeader ? message.from : NO_NODE);
  }

  #answerStaleMessage(message: Message): void {
    const fromOldLeader = message.type === MessageType.AppendEntries ||
      message.type === MessageType.Heartbeat;
    if ((this.checkQuorum || this.preVote) && fromOldLeader) {
      // Tells a deposed leader the new term. Without this, a leader cut off by check-quorum or
      // pre-vote rejections would never learn that it lost.
      this.#send({ type: MessageType.AppendEntriesResponse, to: message.from });
    } else if (message.type === MessageType.RequestPreVote) {
      this.#send({ type: MessageType.RequestPreVoteResponse, to: message.from, reject: true });
    }
  }

  #handleVoteRequest(message: Message): void {
    const preVote = message.type === MessageType.RequestPreVote;
    const responseType = preVote
      ? MessageType.RequestPreVoteResponse
      : MessageType.RequestVoteResponse;
    const canVote = this.vote === message.from ||
      (this.vote === NO_NODE && this.leader === NO_NODE) ||
      (preVote && message.term > this.term);
    const upToDate = this.#grantVotesToShorterLogs ||
      this.log.isUpToDate(message.index, message.logTerm);
    if (canVote && upToDate) {
      this.#send({ type: responseType, to: message.from, term: message.term });
      if (!preVote) {
        this.electionElapsedTicks = 0;
        this.vote = message.from;
      }
      return;
    }
    this.#send({ type: responseType, to: message.from, reject: true });
  }

  // ---- Per-role message handling ------------------------------------------------------------

  #stepFollower(message: Message): void {
    switch (message.type) {
      case MessageType.AppendEntries:
      case MessageType.Heartbeat:
      case MessageType.InstallSnapshot:
        this.electionElapsedTicks = 0;
        this.leader = message.from;
        this.#handleFromLeader(message);
        break;
      case MessageType.TimeoutNow:
        this.#logger.info("raft.timeout_now_received", { term: this.term, from: message.from });
        this.#hup(true);
        break;
    }
  }

  #stepCandidate(message: Message): void {
    const responseType = this.role === RaftRole.PreCandidate
      ? MessageType.RequestPreVoteResponse
      : MessageType.RequestVoteResponse;
    switch (message.type) {
      case MessageType.AppendEntries:
      case MessageType.Heartbeat:
      case MessageType.InstallSnapshot:
        // Only the leader of this term sends these, so the election is lost.
        this.becomeFollower(message.term, message.from);
        this.#handleFromLeader(message);
        return;
    }
    if (message.type !== responseType) return;
    this.tracker.recordVote(message.from, !message.reject);
    const result = this.tracker.tallyVotes();
    if (result === VoteResult.Won) {
      if (this.role === RaftRole.PreCandidate) this.#campaign("election");
      else {
        this.#becomeLeader();
        this.#broadcastAppend();
      }
    } else if (result === VoteResult.Lost) {
      this.becomeFollower(this.term, NO_NODE);
    }
  }

  #stepLeader(message: Message): void {
    if (message.type === MessageType.AppendEntriesResponse) this.#handleAppendResponse(message);
    else if (message.type === MessageType.HeartbeatResponse) {
      this.#handleHeartbeatResponse(message);
    }
  }

  #handleFromLeader(message: Message): void {
    if (message.type === MessageType.AppendEntries) this.#handleAppendEntries(message);
    else if (message.type === MessageType.Heartbeat) this.#handleHeartbeat(message);
    else this.#handleSnapshot(message);
  }

  #handleAppendEntries(message: Message): void {
    const log = this.log;
    if (message.index < log.committed) {
      this.#send({
        type: MessageType.AppendEntriesResponse,
        to: message.from,
        index: log.committed,
      });
      return;
    }
    const lastNewIndex = log.maybeAppend(
      message.index,
      message.logTerm,
      message.commit,
      message.entries,
    );
    if (lastNewIndex !== undefined) {
      this.#send({
        type: MessageType.AppendEntriesResponse,
        to: message.from,
        index: lastNewIndex,
      });
      return;
    }
    // The entry before the new ones does not match: suggest where the logs may agree, skipping
    // every entry whose term is above the leader's term at that index.
    const hintIndex = log.findConflictByTerm(
      Math.min(message.index, log.lastIndex()),
      message.logTerm,
    );
    this.#send({
      type: MessageType.AppendEntriesResponse,
      to: message.from,
      index: message.index,
      reject: true,
      rejectHint: hintIndex,
      logTerm: log.term(hintIndex) ?? 0,
    });
  }

  #handleHeartbeat(message: Message): void {
    // The leader caps the commit at what this follower acknowledged, which is durable here.
    this.log.commitTo(message.commit);
    this.#send({ type: MessageType.HeartbeatResponse, to: message.from, context: message.context });
  }

  #handleSnapshot(message: Message): void {
    const snapshot = message.snapshot;
    assert(snapshot !== undefined, "InstallSnapshot message without a snapshot");
    const restored = this.#restore(snapshot);
    const index = restored ? this.log.lastIndex() : this.log.committed;
    this.#send({ type: MessageType.AppendEntriesResponse, to: message.from, index });
  }

  /** Replaces the log with `snapshot` unless the log already contains its last entry. */
  #restore(snapshot: Snapshot): boolean {
    const { index, term, confState } = snapshot.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // The log already contains the snapshot's last entry, so only the commit index moves.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snapshot);
    this.tracker.reset(confState, this.log.lastIndex() + 1);
    this.isLearner = this.tracker.learners.has(this.id);
    this.#logger.info("raft.snapshot_restored", { term: this.term, index, snapshotTerm: term });
    return true;
  }

  #handleAppendResponse(message: Message): void {
    const progress = this.tracker.progress.get(message.from);
    if (!progress) return;
    progress.recentActive = true;
    if (message.reject) {
      const nextProbe = message.logTerm > 0
        ? this.log.findConflictByTerm(message.rejectHint, message.logTerm)
        : message.rejectHint;
      if (progress.maybeDecreaseTo(message.index, nextProbe)) {
        if (progress.state === ProgressState.Replicate) progress.becomeProbe();
        this.#sendAppend(message.from);
      }
      return;
    }

    const wasPaused = progress.isPaused();
    const updated = progress.maybeUpdate(message.index);
    // A probe acknowledged at the known match also locates the follower's log, so streaming can
    // start even though nothing new was acknowledged.
    const probeConfirmed = progress.state === ProgressState.Probe &&
      message.index === progress.match;
    if (!updated && !probeConfirmed) return;
    if (progress.state === ProgressState.Probe) progress.becomeReplicate();
    else if (progress.state === ProgressState.Snapshot) {
      if (progress.match + 1 >= this.log.firstIndex()) {
        progress.becomeProbe();
        progress.becomeReplicate();
      }
    } else progress.inflights.freeLE(message.index);

    if (this.#maybeCommit()) this.#broadcastAppend();
    else if (wasPaused) this.#sendAppend(message.from);
    while (this.#maybeSendAppend(message.from, false)) { /* fill the in-flight window */ }
    if (message.from === this.leadTransferee && progress.match === this.log.lastIndex()) {
      this.#sendTimeoutNow(message.from);
    }
  }

  #handleHeartbeatResponse(message: Message): void {
    const progress = this.tracker.progress.get(message.from);
    if (!progress) return;
    progress.recentActive = true;
    progress.probeSent = false;
    // A full window whose acknowledgements were lost would stall forever; free one slot.
    if (progress.state === ProgressState.Replicate && progress.inflights.full()) {
      progress.inflights.freeFirstOne();
    }
    if (progress.match < this.log.lastIndex()) this.#sendAppend(message.from);
    if (message.context > 0) {
      this.#acceptReadConfirmation(
        this.#readOnly.acknowledge(message.from, message.context, this.tracker.voters),
      );
    }
  }

  // ---- Replication --------------------------------------------------------------------------

  /** Appends entries of the current term; returns the last new index. */
  #appendEntries(entries: { type: EntryType; data: Uint8Array }[]): number {
    let index = this.log.lastIndex();
    const full: Entry[] = entries.map((entry) => ({ ...entry, term: this.term, index: ++index }));
    const lastIndex = this.log.append(full);
    for (const entry of full) this.#uncommittedSizeBytes += entry.data.byteLength;
    this.tracker.progress.get(this.id)?.maybeUpdate(lastIndex);
    this.#maybeCommit();
    return lastIndex;
  }

  /** Advances the commit index to what a majority of voters holds, for entries of this term. */
  #maybeCommit(): boolean {
    const previousCommit = this.log.committed;
    const committed = this.log.maybeCommit(this.tracker.committed(), this.term);
    if (!committed) return false;
    for (const entry of this.log.slice(previousCommit + 1, this.log.committed + 1, Infinity)) {
      if (entry.term === this.term) this.#uncommittedSizeBytes -= entry.data.byteLength;
    }
    this.#releaseReadsAwaitingTermCommit();
    return true;
  }

  #broadcastAppend(): void {
    for (const id of this.tracker.progress.keys()) {
      if (id !== this.id) this.#sendAppend(id);
    }
  }

  #sendAppend(to: NodeId): void {
    this.#maybeSendAppend(to, true);
  }

  /**
   * Sends `to` the entries from its next index, or a snapshot if they are compacted. With
   * `sendIfEmpty` false, sends nothing when there are no new entries. Returns whether it sent.
   */
  #maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const progress = this.tracker.progress.get(to);
    if (!progress || progress.isPaused()) return false;
    const previousIndex = progress.next - 1;
    const previousTerm = this.log.term(previousIndex);
    let entries: Entry[] | undefined;
    if (previousTerm !== undefined && previousIndex >= this.log.firstIndex() - 1) {
      entries = this.log.entriesFrom(progress.next, this.maxMessageSizeBytes);
    }
    if (previousTerm === undefined || entries === undefined) return this.#sendSnapshot(to);
    if (entries.length === 0 && !sendIfEmpty) return false;

    const last = entries.at(-1);
    if (last && progress.state === ProgressState.Replicate) {
      progress.optimisticUpdate(last.index);
      progress.inflights.add(last.index);
    } else if (last && progress.state === ProgressState.Probe) {
      progress.probeSent = true;
    }
    this.#send({
      type: MessageType.AppendEntries,
      to,
      index: previousIndex,
      logTerm: previousTerm,
      entries,
      commit: this.log.committed,
    });
    return true;
  }

  #sendSnapshot(to: NodeId): boolean {
    const progress = this.tracker.progress.get(to)!;
    // A follower that has not responded lately may be down, and a snapshot would be wasted.
    if (!progress.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.log.snapshot();
    } catch (error) {
      if (error instanceof SnapshotUnavailableError) return false;
      throw error;
    }
    assert(snapshot.metadata.index > 0, "log compacted without a snapshot");
    progress.becomeSnapshot(snapshot.metadata.index);
    this.#logger.info("raft.snapshot_sent", {
      term: this.term,
      to,
      index: snapshot.metadata.index,
    });
    this.#send({ type: MessageType.InstallSnapshot, to, snapshot });
    return true;
  }

  #broadcastHeartbeat(round: number): void {
    for (const [id, progress] of this.tracker.progress) {
      if (id === this.id) continue;
      this.#send({
        type: MessageType.Heartbeat,
        to: id,
        commit: Math.min(progress.match, this.log.committed),
        context: round,
      });
    }
  }

  #sendTimeoutNow(to: NodeId): void {
    this.#send({ type: MessageType.TimeoutNow, to });
  }

  #abortLeaderTransfer(): void {
    if (this.leadTransferee !== NO_NODE) {
      this.#logger.info("raft.leader_transfer_ended", {
        term: this.term,
        target: this.leadTransferee,
      });
    }
    this.leadTransferee = NO_NODE;
  }

  #proposalRejection(): ProposalRejection | undefined {
    if (this.role !== RaftRole.Leader) return "not-leader";
    if (this.leadTransferee !== NO_NODE) return "leadership-transfer";
    return undefined;
  }

  #confChangeRejection(change: ConfChange): ProposalRejection | undefined {
    if (this.pendingConfIndex > this.log.applied) return "conf-change-pending";
    const voters = this.tracker.voters;
    const removesLastVoter = change.type === ConfChangeType.RemoveNode &&
      voters.size === 1 && voters.has(change.nodeId);
    const demotesVoter = change.type === ConfChangeType.AddLearner && voters.has(change.nodeId);
    if (removesLastVoter || demotesVoter) return "invalid-conf-change";
    return undefined;
  }

  #afterLeaderConfChange(): void {
    if (!this.tracker.voters.has(this.id)) {
      // A leader removed from the voters stops leading; the others elect a successor.
      this.becomeFollower(this.term, NO_NODE);
      return;
    }
    if (this.leadTransferee !== NO_NODE && !this.tracker.voters.has(this.leadTransferee)) {
      this.#abortLeaderTransfer();
    }
    // A smaller voter set may commit or confirm reads that were waiting.
    if (this.#maybeCommit()) this.#broadcastAppend();
    else {
      for (const [id, progress] of this.tracker.progress) {
        if (id !== this.id && progress.match === 0) this.#sendAppend(id);
      }
    }
    this.#acceptReadConfirmation(this.#readOnly.recheck(this.tracker.voters));
  }

  // ---- Reads --------------------------------------------------------------------------------

  #committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  #releaseReadsAwaitingTermCommit(): void {
    if (this.#readsAwaitingTermCommit.length === 0 || !this.#committedInCurrentTerm()) return;
    const requestIds = this.#readsAwaitingTermCommit;
    this.#readsAwaitingTermCommit = [];
    this.#startRead(requestIds);
  }

  #startRead(requestIds: number[]): void {
    const alone = this.tracker.voters.size === 1 && this.tracker.voters.has(this.id);
    if (alone || this.#leaseValid()) {
      for (const requestId of requestIds) {
        this.readStates.push({ index: this.log.committed, requestId });
      }
      return;
    }
    const round = this.#readOnly.startRound({
      commitIndex: this.log.committed,
      sentTick: this.tickCount,
      requestIds,
      self: this.id,
    });
    this.#broadcastHeartbeat(round);
  }

  #startLeaseRound(): number {
    return this.#readOnly.startRound({
      commitIndex: this.log.committed,
      sentTick: this.tickCount,
      requestIds: [],
      self: this.id,
    });
  }

  #leaseValid(): boolean {
    return this.readMode === "lease" && this.leadTransferee === NO_NODE &&
      this.tickCount < this.leaseExpiryTick;
  }

  #acceptReadConfirmation(
    confirmation: { readStates: ReadState[]; sentTick: number } | undefined,
  ): void {
    if (!confirmation) return;
    this.readStates.push(...confirmation.readStates);
    if (this.readMode === "lease" && this.leadTransferee === NO_NODE) {
      const expiry = confirmation.sentTick + this.electionTimeoutTicks - this.clockDriftBoundTicks;
      this.leaseExpiryTick = Math.max(this.leaseExpiryTick, expiry);
    }
  }

  // ---- Output -------------------------------------------------------------------------------

  #send(fields: Pick<Message, "type" | "to"> & Partial<Message>): void {
    this.messages.push(makeMessage({ term: this.term, ...fields, from: this.id }));
  }
}

function validateConfig(config: RaftConfig): void {
  assert(Number.isInteger(config.id), `node id ${config.id} is not an integer`);
  assert(config.id > 0, `invalid node id ${config.id}: must be positive`);
  assert(config.heartbeatIntervalTicks >= 1, "heartbeat interval must be at least 1 tick");
  assert(
    config.electionTimeoutTicks > config.heartbeatIntervalTicks,
    "election timeout must exceed the heartbeat interval",
  );
  if (config.readMode === "lease") {
    assert(config.checkQuorum !== false, "lease reads require check-quorum");
    const drift = config.clockDriftBoundTicks ?? 0;
    assert(
      drift >= 0 && drift < config.electionTimeoutTicks,
      `clock drift bound ${drift} must be in [0, election timeout)`,
    );
  }
}
