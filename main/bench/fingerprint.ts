// `idkiosk bench fingerprint`: R30x protocol round trips over a real pty pair (socat) against
// the limit the UART itself sets: at 57600 baud, 8N1, a byte takes 10 bit times, so a
// TempleteNum round trip (12-byte command + 14-byte answer) cannot beat 26 * 10 / 57600 s.
// Two runs: the simulator answering at once, which measures the host side alone (driver,
// serialport, pty, socat, simulator: everything but the UART) per round trip; and the
// simulator pacing its answers to the wire time. The paced ratio is about 1 by construction
// (the simulator sleeps the wire time), so it only shows the pacing and the host side add
// little on top; the host-side figures are the ones that are not circular.
import { DEFAULT_BAUD, packetBytes } from '../../drivers/fingerprint/r30x-protocol.js';
import { R30xSensor } from '../../drivers/fingerprint/r30x-sensor.js';
import { startSimulatedSensor } from '../../drivers/fingerprint/sensor-simulator.js';
import type { Figure } from './figure.js';

const BAUD = DEFAULT_BAUD;
const wireMs = (bytes: number) => (bytes * 10 * 1000) / BAUD;

async function roundTrips(paceWire: boolean, n: number): Promise<{ perSecond: number; msEach: number; cpuEach: number; templateMs: number; templateBytes: number }> {
  const rig = await startSimulatedSensor({ paceWire, baudRate: BAUD, packetSize: 128 });
  const sensor = await R30xSensor.open({ path: rig.hostPath, baudRate: BAUD, timeoutMs: 2000, retries: 0 });
  try {
    for (let i = 0; i < 20; i++) await sensor.templateCount(); // warm-up
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await sensor.templateCount();
    const c = process.cpuUsage(c0);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    rig.sim.library.set(0, rig.sim.templateOf({ id: 'bench-finger' }));
    await sensor.loadChar(1, 0);
    const reps = 10;
    const u0 = process.hrtime.bigint();
    let size = 0;
    for (let i = 0; i < reps; i++) size = (await sensor.upChar(1)).length;
    const templateMs = Number(process.hrtime.bigint() - u0) / 1e6 / reps;
    return { perSecond: (n * 1000) / ms, msEach: ms / n, cpuEach: (c.user + c.system) / 1000 / n, templateMs, templateBytes: size };
  } finally {
    await sensor.close();
    await rig.stop();
  }
}

export async function benchFingerprint(): Promise<Figure[]> {
  const rtBytes = packetBytes(1) + packetBytes(3); // TempleteNum command + its answer
  const rtWire = wireMs(rtBytes);
  const wireRate = 1000 / rtWire;
  const fast = await roundTrips(false, 400);
  const paced = await roundTrips(true, 100);
  // UpChar: command (13 B) + ack (12 B) + 512 bytes in four 128-byte data packets (139 B each).
  const upBytes = packetBytes(2) + packetBytes(1) + Math.ceil(paced.templateBytes / 128) * packetBytes(128);
  return [
    { name: 'host side per round trip', value: fast.msEach * 1000, limit: rtWire * 1000, unit: 'µs', note: `unpaced: driver + serialport + pty + socat + simulator, no UART (${fast.perSecond.toFixed(0)} rt/s), vs the ${BAUD}-baud wire time of ${rtBytes} B` },
    { name: 'host CPU per round trip', value: fast.cpuEach * 1000, limit: rtWire * 1000, unit: 'µs', note: 'unpaced: this process\'s CPU (driver + simulator; socat not counted) vs the wire time' },
    { name: 'round trips/s, wire-paced', value: paced.perSecond, limit: wireRate, unit: 'rt/s', note: '~1 by construction: the simulator sleeps the UART time before answering' },
    { name: 'round trip time, wire-paced', value: paced.msEach, limit: rtWire, unit: 'ms', target: 1.5, note: '~1 by construction plus the host side above (driver + pty + timers)' },
    { name: 'template upload (UpChar), paced', value: paced.templateMs, limit: wireMs(upBytes), unit: 'ms', target: 1.5, note: `${paced.templateBytes} B template, ${upBytes} B on the wire; paced, so ~1 by construction` },
  ];
}
