/**
 * The benchmarks' discrete-event clock is the simulator's ManualClock (`run` jumps time to the
 * next sleeper whenever the work is idle): exact simulated seconds, whatever the machine's load.
 */
export { ManualClock as VirtualClock, ClockStuckError as VirtualClockStuckError } from '#sim/manual-clock.js';
