// `idkiosk fingerprint devices [--json]`: HID devices, named and classified.
// `idkiosk fingerprint info --port PATH [--baud N]`: an R30x sensor's system parameters.
// `idkiosk fingerprint demo [--json]`: the sensor simulator on a socat pty pair, driven end to
// end (enrol, 1:N search, 1:1 match, a stranger, a smudged finger) with no hardware.
import { parseArgs } from 'node:util';
import { IdkError } from '../../core/errors.js';
import { listHidDevices } from '../../drivers/fingerprint/hid-devices.js';
import { R30xSensor } from '../../drivers/fingerprint/r30x-sensor.js';
import { startSimulatedSensor } from '../../drivers/fingerprint/sensor-simulator.js';
import { type FingerprintResult, identifyFinger, verifyFingerAgainstTemplate } from '../verify/fingerprint.js';
import type { Command } from './command.js';

function bad(text: string): IdkError {
  return new IdkError('BAD_ARGUMENTS', { vi: `Tham số không hợp lệ: ${text}`, en: `Bad arguments: ${text}` });
}

async function demo(json: boolean, lang: 'vi' | 'en'): Promise<number> {
  const rig = await startSimulatedSensor();
  const sensor = await R30xSensor.open({ path: rig.hostPath });
  const steps: { step: string; result: FingerprintResult }[] = [];
  try {
    const a = { id: 'demo-person-a/right-index' };
    rig.sim.script.push(a, null, a);
    await sensor.enrol(1, { pollMs: 10 });
    const template = await sensor.readTemplate(1);
    rig.sim.finger = a;
    steps.push({ step: 'enrolled finger, 1:N search', result: await identifyFinger(sensor) });
    steps.push({ step: 'enrolled finger, 1:1 against its template', result: await verifyFingerAgainstTemplate(sensor, template) });
    rig.sim.finger = { id: 'demo-person-b/right-index' };
    steps.push({ step: 'another person, 1:1', result: await verifyFingerAgainstTemplate(sensor, template) });
    rig.sim.finger = { ...a, quality: 'messy' };
    steps.push({ step: 'smudged finger, 1:1', result: await verifyFingerAgainstTemplate(sensor, template) });
  } finally {
    await sensor.close();
    await rig.stop();
  }
  if (json) console.log(JSON.stringify(steps, null, 2));
  else for (const s of steps) console.log(`${s.step.padEnd(44)} ${s.result.decision.padEnd(12)} score ${s.result.score ?? '-'} / ${s.result.threshold}${s.result.quality.map((q) => `  ${q[lang]}`).join('')}`);
  return 0;
}

export const fingerprintCommand: Command = {
  name: ['fingerprint'],
  usage: 'fingerprint (devices [--json] | info --port PATH [--baud N] | demo [--json])',
  async run(argv, { lang }) {
    const [sub, ...rest] = argv;
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' }, port: { type: 'string' }, baud: { type: 'string' } }, strict: true });
    if (sub === 'demo') return demo(values.json === true, lang);
    if (sub === 'devices') {
      const list = await listHidDevices();
      if (values.json) console.log(JSON.stringify(list.map(({ path: _p, ...d }) => d), null, 2));
      else if (list.length === 0) console.log(lang === 'vi' ? 'Không thấy thiết bị HID nào (cần quyền đọc /dev/hidraw*).' : 'No HID devices found (needs read access to /dev/hidraw*).');
      else for (const d of list) console.log(`${d.supported ? '+' : '-'} ${d.name}: ${d.note[lang]}`);
      return 0;
    }
    if (sub === 'info') {
      if (!values.port) throw bad('--port PATH');
      const baudRate = values.baud === undefined ? undefined : Number(values.baud);
      if (baudRate !== undefined && !(Number.isInteger(baudRate) && baudRate % 9600 === 0 && baudRate > 0)) throw bad('--baud must be a multiple of 9600');
      const sensor = await R30xSensor.open({ path: values.port, ...(baudRate === undefined ? {} : { baudRate }) });
      try {
        const p = await sensor.readSysPara();
        console.log(JSON.stringify({ ...p, templates: await sensor.templateCount() }, null, 2));
      } finally {
        await sensor.close();
      }
      return 0;
    }
    throw bad(`fingerprint ${sub ?? ''}: expected devices, info or demo`);
  },
};
