// PACE against the worked examples of ICAO Doc 9303 Part 11 (8th ed.):
//   Appendix G.1 - ECDH Generic Mapping, brainpoolP256r1, AES-128, MRZ T22000129/640812/101031;
//   Appendix H.1 - ECDH Integrated Mapping, brainpoolP256r1, AES-128;
//   Appendix I.1 - ECDH Chip Authentication Mapping, brainpoolP256r1, AES-128.
// Every hex value below is the standard's; then terminal against chip in-process.
import { describe, expect, it } from 'vitest';
import { type Command, type Response, encodeCommand, parseCommand, parseResponse, encodeResponse } from '../../drivers/apdu/apdu.js';
import { bigToBytes, bytesToBig, concat, fromHex, hex } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import { mrzInformation } from '../../drivers/emrtd/bac.js';
import { KDF_PI, kdf } from '../../drivers/emrtd/crypto.js';
import {
  PaceChip,
  type PacePassword,
  authToken,
  decodePoint,
  decryptCamData,
  decryptNonce,
  encodePoint,
  integratedMappingPoint,
  integratedMappingPrf,
  mapGeneric,
  mapIntegrated,
  paceCurve,
  paceSuite,
  paceTerminal,
  passwordKey,
  publicKeyDataObject,
  sessionKeys,
  sharedSecret,
  verifyCamData,
} from '../../drivers/emrtd/pace.js';
import { PACE, type PaceInfo, parseCardAccess } from '../../drivers/emrtd/security-infos.js';

const h = (s: string) => fromHex(s.replace(/\s/g, ''));
const big = (s: string) => bytesToBig(h(s));

/** A random source that replays the example's values in order, checking each length. */
function replay(...values: string[]): (n: number) => Uint8Array {
  const queue = values.map(h);
  return (n) => {
    const v = queue.shift();
    if (!v) throw new Error('replay: out of values');
    expect(v.length).toBe(n);
    return v;
  };
}

/** A chip that answers a fixed transcript and checks each command byte for byte. */
function scripted(script: [string, string][]): { send: (c: Command) => Promise<Response>; done: () => boolean } {
  let i = 0;
  return {
    send: async (c) => {
      const step = script[i++];
      if (!step) throw new Error(`unexpected command ${hex(encodeCommand(c))}`);
      expect(hex(encodeCommand(c))).toBe(step[0].replace(/\s/g, '').toUpperCase());
      return parseResponse(h(step[1]));
    },
    done: () => i === script.length,
  };
}

/** Terminal and chip in one process, through real APDU bytes in both directions. */
function wire(chip: PaceChip, onSm?: (sm: unknown) => void): (c: Command) => Promise<Response> {
  return async (c) => {
    const answer = chip.handle(parseCommand(encodeCommand(c)));
    if (answer.sm) onSm?.(answer.sm);
    return parseResponse(encodeResponse(answer.response));
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

// ---------------------------------------------------------------------------------
// Appendix G.1

const G1 = {
  mrz: { documentNumber: 'T22000129', dateOfBirth: '640812', dateOfExpiry: '101031' },
  cardAccess: '31143012060A04007F0007020204020202010202010D',
  K: '7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD',
  kPi: '89DED1B26624EC1E634C1989302849DD',
  s: '3F00C4D39D153F2B2A214A078D899B22',
  z: '95A3A016522EE98D01E76CB6B98B42C3',
  skMapIfd: '7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99',
  pkMapIfd:
    '047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D',
  skMapIc: '498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560',
  pkMapIc:
    '04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54',
  H: '0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD50840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181',
  gHat: '048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E28C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522',
  skDhIfd: 'A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595',
  pkDhIfd:
    '042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462',
  skDhIc: '107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A',
  pkDhIc:
    '049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094',
  shared: '28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925',
  ksEnc: 'F5F0E35C0D7161EE6724EE513A0D9A7F',
  ksMac: 'FE251C7858B356B24514B3BD5F4297D1',
  tIfdInput:
    '7F494F060A04007F000702020402028641049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094',
  tIfd: 'C2B0BD78D94BA866',
  tIc: '3ABB9674BCE93C08',
};

/** The G.1 APDU exchange (MSE:Set AT without tag 0x84, as the example sends it). */
const G1_TRANSCRIPT: [string, string][] = [
  ['0022C1A40F800A04007F00070202040202830101', '9000'],
  ['10860000027C0000', `7C128010${G1.z}9000`],
  [`10860000457C438141${G1.pkMapIfd}00`, `7C438241${G1.pkMapIc}9000`],
  [`10860000457C438341${G1.pkDhIfd}00`, `7C438441${G1.pkDhIc}9000`],
  [`008600000C7C0A8508${G1.tIfd}00`, `7C0A8608${G1.tIc}9000`],
];

const g1Info = (): PaceInfo => {
  const info = parseCardAccess(h(G1.cardAccess))[0];
  if (info?.kind !== 'pace') throw new Error('G.1 CardAccess has no PACEInfo');
  return info;
};

describe('PACE-GM primitives (Doc 9303 Part 11 App. G.1)', () => {
  const suite = paceSuite(PACE.ECDH_GM_AES_CBC_CMAC_128);
  const curve = paceCurve(13);
  const mrzInfo = mrzInformation(G1.mrz);

  it('reads the suite and domain parameters from EF.CardAccess', () => {
    const info = g1Info();
    expect(info).toEqual({ kind: 'pace', protocol: '0.4.0.127.0.7.2.2.4.2.2', version: 2, parameterId: 13 });
    expect(suite).toMatchObject({ mapping: 'GM', cipher: 'AES-128', sm: 'AES' });
    expect(curve.name).toBe('brainpoolP256r1');
  });
  it('derives K = SHA-1(MRZ information) and K_pi', () => {
    const K = passwordKey({ kind: 'mrz', mrzInfo });
    expect(hex(K)).toBe(G1.K);
    expect(hex(kdf(K, KDF_PI, 'AES-128'))).toBe(G1.kPi);
  });
  it('decrypts the nonce s from z', () => {
    expect(hex(decryptNonce(suite, h(G1.kPi), h(G1.z)))).toBe(G1.s);
  });
  it('maps the nonce: mapping keys, H and the mapped generator', () => {
    expect(hex(encodePoint(curve, curve.Point.BASE.multiply(big(G1.skMapIfd))))).toBe(G1.pkMapIfd);
    expect(hex(encodePoint(curve, curve.Point.BASE.multiply(big(G1.skMapIc))))).toBe(G1.pkMapIc);
    const H = decodePoint(curve, h(G1.pkMapIc), 'pk').multiply(big(G1.skMapIfd));
    expect(hex(encodePoint(curve, H))).toBe(G1.H);
    expect(hex(encodePoint(curve, decodePoint(curve, h(G1.pkMapIfd), 'pk').multiply(big(G1.skMapIc))))).toBe(G1.H);
    expect(hex(encodePoint(curve, mapGeneric(curve, h(G1.s), H)))).toBe(G1.gHat);
  });
  it('agrees on the ephemeral keys, the shared secret and KS_enc / KS_mac', () => {
    const g = decodePoint(curve, h(G1.gHat), 'G^');
    expect(hex(encodePoint(curve, g.multiply(big(G1.skDhIfd))))).toBe(G1.pkDhIfd);
    expect(hex(encodePoint(curve, g.multiply(big(G1.skDhIc))))).toBe(G1.pkDhIc);
    const k = sharedSecret(curve, big(G1.skDhIfd), decodePoint(curve, h(G1.pkDhIc), 'pk'));
    expect(hex(k)).toBe(G1.shared);
    expect(hex(sharedSecret(curve, big(G1.skDhIc), decodePoint(curve, h(G1.pkDhIfd), 'pk')))).toBe(G1.shared);
    const keys = sessionKeys(suite, k);
    expect(hex(keys.ksEnc)).toBe(G1.ksEnc);
    expect(hex(keys.ksMac)).toBe(G1.ksMac);
  });
  it('computes both authentication tokens over the 7F49 data object', () => {
    expect(hex(publicKeyDataObject(suite.protocol, h(G1.pkDhIc)))).toBe(G1.tIfdInput);
    expect(hex(authToken(suite, h(G1.ksMac), h(G1.pkDhIc)))).toBe(G1.tIfd);
    expect(hex(authToken(suite, h(G1.ksMac), h(G1.pkDhIfd)))).toBe(G1.tIc);
  });
});

describe('PACE-GM APDUs (Doc 9303 Part 11 App. G.1)', () => {
  const password: PacePassword = { kind: 'mrz', mrzInfo: mrzInformation(G1.mrz) };

  it('the terminal reproduces the G.1 exchange byte for byte', async () => {
    const chip = scripted(G1_TRANSCRIPT);
    const r = await paceTerminal(chip.send, {
      password,
      info: g1Info(),
      includeParameterId: false,
      random: replay(G1.skMapIfd, G1.skDhIfd),
    });
    expect(chip.done()).toBe(true);
    expect(r.mapping).toBe('GM');
    expect(r.cardAccessOid).toBe(PACE.ECDH_GM_AES_CBC_CMAC_128);
    expect(hex(r.chipPublicKey)).toBe(G1.pkDhIc);
    expect(r.sm.kind).toBe('AES');
    expect(hex(r.sm.counter)).toBe('00'.repeat(16));
    expect(r.cam).toBeUndefined();
  });

  it('sends the parameter ID (tag 0x84) by default', async () => {
    const script = G1_TRANSCRIPT.map(([c, r]): [string, string] => [c, r]);
    script[0] = ['0022C1A412800A04007F0007020204020283010184010D', '9000'];
    const chip = scripted(script);
    await paceTerminal(chip.send, { password, info: g1Info(), random: replay(G1.skMapIfd, G1.skDhIfd) });
    expect(chip.done()).toBe(true);
  });

  it('the chip reproduces the G.1 responses byte for byte', () => {
    const chip = new PaceChip({ mrzInfo: password.kind === 'mrz' ? password.mrzInfo : '', info: g1Info(), random: replay(G1.s, G1.skMapIc, G1.skDhIc) });
    let sm: unknown;
    for (const [cmd, rsp] of G1_TRANSCRIPT) {
      const a = chip.handle(parseCommand(h(cmd)));
      expect(hex(encodeResponse(a.response))).toBe(rsp.toUpperCase());
      sm = a.sm;
    }
    expect(sm).toBeDefined();
    expect(chip.step).toBe('done');
  });

  it('a chip token that does not match is ACCESS_DENIED', async () => {
    const script = G1_TRANSCRIPT.map(([c, r]): [string, string] => [c, r]);
    script[4] = [script[4]![0], '7C0A86080000000000000000 9000'];
    const chip = scripted(script);
    const err = await rejection(
      paceTerminal(chip.send, { password, info: g1Info(), includeParameterId: false, random: replay(G1.skMapIfd, G1.skDhIfd) }),
    );
    expect(isIdkError(err, 'ACCESS_DENIED')).toBe(true);
  });

  it('6300 at mutual authentication is ACCESS_DENIED, with a Vietnamese message', async () => {
    const script = G1_TRANSCRIPT.map(([c, r]): [string, string] => [c, r]);
    script[4] = [script[4]![0], '63C2'];
    const chip = scripted(script);
    const err = await rejection(
      paceTerminal(chip.send, { password, info: g1Info(), includeParameterId: false, random: replay(G1.skMapIfd, G1.skDhIfd) }),
    );
    expect(isIdkError(err, 'ACCESS_DENIED')).toBe(true);
    if (isIdkError(err)) expect(err.text('vi')).toMatch(/CAN hoặc MRZ không đúng/);
  });

  it('a retry counter warning (63C3) on MSE:Set AT is not an error; 63C0 means blocked', async () => {
    const warned = G1_TRANSCRIPT.map(([c, r]): [string, string] => [c, r]);
    warned[0] = [warned[0]![0], '63C3'];
    const chip = scripted(warned);
    await paceTerminal(chip.send, { password, info: g1Info(), includeParameterId: false, random: replay(G1.skMapIfd, G1.skDhIfd) });
    expect(chip.done()).toBe(true);
    const blocked = scripted([[G1_TRANSCRIPT[0]![0], '63C0']]);
    const err = await rejection(paceTerminal(blocked.send, { password, info: g1Info(), includeParameterId: false }));
    expect(isIdkError(err, 'ACCESS_BLOCKED')).toBe(true);
  });

  it('a refused MSE:Set AT is a CARD_STATUS error naming the command', async () => {
    const chip = scripted([['0022C1A40F800A04007F00070202040202830101', '6A80']]);
    const err = await rejection(paceTerminal(chip.send, { password, info: g1Info(), includeParameterId: false }));
    expect(isIdkError(err, 'CARD_STATUS')).toBe(true);
    expect((err as Error).message).toMatch(/MSE:Set AT/);
  });
});

// ---------------------------------------------------------------------------------
// Appendix H.1

const H1 = {
  kPi: '591468CDA83D65219CCCB8560233600F',
  s: '2923BE84E16CD6AE529049F1F1BBE9EB',
  z: '143DC40C08C8E891FBED7DEDB92B64AD',
  t: '5DD4CBFC96F5453B130D890A1CDBAE32',
  R: 'E4447E2DFB3586BAC05DDB00156B57FBB2179A3949294C97254189800C517BAA8DA0FF397ED8C445D3E421E4FEB57322',
  Rp: 'A2F8FF2DF50E52C6599F386ADCB595D229F6A167ADE2BE5F2C3296ADD5B7430E',
  gHat:
    '048E82D31559ED0FDE92A4D0498ADD3C23BABA94FB77691E31E90AEA77FB17D4274C1AE14BD0C3DBAC0C871B7F3608169364437CA30AC243A089D3F266C1E60FAD',
  skIc: '107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A',
  pkIc: '0467F78E5F7F7686082B293E8D087E056916D0F74BC01A5F8957D0DE45691E51E8932B69A962B52A0985AD2C0A271EE6A13A8ADDDCD1A3A994B9DED257F4D22753',
  skIfd: 'A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595',
  pkIfd:
    '0489CBA23FFE96AA18D824627C3E934E54A9FD0B87A95D1471DC1C0ABFDCD640D46755DE9B7B778280B6BEBD57439ADFEB0E21FD4ED6DF42578C13418A59B34C37',
  K: '4F150FDE1D4F0E38E95017B891BAE17133A0DF45B0D3E18B60BA7BEAFDC2C713',
  ksEnc: '0D3FEB33251A6370893D62AE8DAAF51B',
  ksMac: 'B01E89E3D9E8719E586B50B4A7506E0B',
  tIc: '75D4D96E8D5B0308',
  tIfd: '450F02B86F6A0909',
};

describe('PACE-IM (Doc 9303 Part 11 App. H.1)', () => {
  const suite = paceSuite(PACE.ECDH_IM_AES_CBC_CMAC_128);
  const curve = paceCurve(13);

  it('decrypts the nonce', () => {
    expect(hex(decryptNonce(suite, h(H1.kPi), h(H1.z)))).toBe(H1.s);
  });
  it('computes the pseudo-random function R(s,t) and R_p(s,t)', () => {
    const R = integratedMappingPrf(suite, h(H1.s), h(H1.t), curve.p);
    expect(hex(R)).toBe(H1.R);
    expect(bytesToBig(R) % curve.p).toBe(big(H1.Rp));
  });
  it('encodes R_p(s,t) to the mapped generator (App. B point encoding)', () => {
    expect(hex(encodePoint(curve, integratedMappingPoint(curve, big(H1.Rp))))).toBe(H1.gHat);
    expect(hex(encodePoint(curve, mapIntegrated(suite, curve, h(H1.s), h(H1.t))))).toBe(H1.gHat);
  });
  it('agrees on keys and tokens', () => {
    const g = decodePoint(curve, h(H1.gHat), 'G^');
    expect(hex(encodePoint(curve, g.multiply(big(H1.skIc))))).toBe(H1.pkIc);
    expect(hex(encodePoint(curve, g.multiply(big(H1.skIfd))))).toBe(H1.pkIfd);
    const K = sharedSecret(curve, big(H1.skIfd), decodePoint(curve, h(H1.pkIc), 'pk'));
    expect(hex(K)).toBe(H1.K);
    const keys = sessionKeys(suite, K);
    expect(hex(keys.ksEnc)).toBe(H1.ksEnc);
    expect(hex(keys.ksMac)).toBe(H1.ksMac);
    expect(hex(authToken(suite, keys.ksMac, h(H1.pkIc)))).toBe(H1.tIfd);
    expect(hex(authToken(suite, keys.ksMac, h(H1.pkIfd)))).toBe(H1.tIc);
  });
});

// ---------------------------------------------------------------------------------
// Appendix I.1

const I1 = {
  mrzInfo: 'C11T002JM4' + '9608122' + '2310314',
  K: '894D03F148C6265E89845B218856EA34D00EF8E8',
  kPi: '4E6F6FBF7BE748B932C7B74161BBA9DF',
  paceInfo: '3012060A04007F0007020204060202010202010D',
  s: '658B860BC94DF6F044FCE6D5C82CF8E5',
  z: 'CB60E8E0D85B76A9BD304747C2AD42E2',
  skMapIfd: '5D8BB87BD74D985A4B7D4325B9F7B976FE835122773400798914AA22738135CC',
  pkMapIfd:
    '047F1D410ADB7DDB3B84BF1030800981A9105D7457B4A3ADE002384F3086C67EDE1AB889104A27DB6D842B019020FBF3CEACB0DC627F7BDCAC29969E19D0E553C1',
  skMapIc: '9E56A6B59C95D06ECE5CD10F983BB2F4F1943528E577F23881D89D8C3BBEE0AA',
  pkMapIc:
    '04A234236AA9B9621E8EFB73B5245C0E09D2576E5277183C1208BDD55280CAE8B304F365713A356E65A451E165ECC9AC0AC46E3771342C8FE5AEDD092685338E23',
  H: '042C1DCC1773346492C6636A36EE4B965E292E9AAE7EE37736EF58B9D0A043F348403A8CF33CA7DC0D9DF61D0889CE24424FF97C1AAD48A5CA2A554B071EF7638D',
  gHat: '0489F0B5EABF3BE293C75903A3986131925C9F5B515CA95AF485DC7E886F03245D44BEFB2DD3A0DBD71CB5E618971CF4747F12B79E548379A40E45963BAAF3E829',
  skDhIfd: '76ECFDAA9841C323A3F5FC5E88B88DB3EFF7E35EBF57A7E6946CB630006C2120',
  pkDhIfd:
    '04446C934084D9DAB863944F219520076C29EE3F7AE6722B11FF319EC1C7728F955483400BFF60BF0C5929270009277DC2A515E12575010AD9BA916CF1BF86FEFC',
  skDhIc: 'CD626EF3C256E235FE8912CAC28279E626008EDA6B3A05C4CF862A3BDAB79E78',
  pkDhIc:
    '0402AD566F3C6EC7F9324509AD50A51FA52030782A4968FCFEDF737DAEA993333111C3B9B4C2287789BD137E7F8AA882E2A3C633CCD6ECC2C63C57AD401A09C2E1',
  shared: '67950559D0C06B4D4B86972D14460837461087F8419FDBC36AAF6CEAAC462832',
  ksEnc: '0A9DA4DB03BDDE39FC5202BC44B2E89E',
  ksMac: '4B1C06491ED5140CA2B537D344C6C0B1',
  tIfd: 'E86BD06018A1CD3B',
  tIc: '8596CF055C67C1A3',
  aIc: '1EEA964DAAE372AC990E3EFDE6333353BFC89A6704D93DA8798CF77F5B7A54BD10CBA372B42BE0B9B5F28AA8DE2F4F92',
  caIc: '85DC3FA93D0952BFA82F5FD189EE75BD82F11D1F0B8ED4BF5319AC9B53C426B3',
  pkIc: '041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC884D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F',
};

const I1_TRANSCRIPT: [string, string][] = [
  ['0022C1A40F800A04007F00070202040602830101', '9000'],
  ['10860000027C0000', `7C128010${I1.z}9000`],
  [`10860000457C438141${I1.pkMapIfd}00`, `7C438241${I1.pkMapIc}9000`],
  [`10860000457C438341${I1.pkDhIfd}00`, `7C438441${I1.pkDhIc}9000`],
  [`008600000C7C0A8508${I1.tIfd}00`, `7C3C8608${I1.tIc}8A30${I1.aIc}9000`],
];

describe('PACE-CAM (Doc 9303 Part 11 App. I.1)', () => {
  const suite = paceSuite(PACE.ECDH_CAM_AES_CBC_CMAC_128);
  const curve = paceCurve(13);
  const info = (): PaceInfo => {
    const i = parseCardAccess(fromHex('3114' + I1.paceInfo))[0];
    if (i?.kind !== 'pace') throw new Error('no PACEInfo');
    return i;
  };
  // The example omits the chip's static private key; it follows from CA_IC = SK_IC^-1 · SK_Map,IC mod n.
  const skIc = (big(I1.skMapIc) * modInverse(big(I1.caIc), curve.n)) % curve.n;

  it('derives K and K_pi from the example MRZ', () => {
    const K = passwordKey({ kind: 'mrz', mrzInfo: I1.mrzInfo });
    expect(hex(K)).toBe(I1.K);
    expect(hex(kdf(K, KDF_PI, 'AES-128'))).toBe(I1.kPi);
    expect(hex(decryptNonce(suite, h(I1.kPi), h(I1.z)))).toBe(I1.s);
  });
  it('maps, agrees and derives like GM', () => {
    const H = decodePoint(curve, h(I1.pkMapIc), 'pk').multiply(big(I1.skMapIfd));
    expect(hex(encodePoint(curve, H))).toBe(I1.H);
    expect(hex(encodePoint(curve, mapGeneric(curve, h(I1.s), H)))).toBe(I1.gHat);
    const K = sharedSecret(curve, big(I1.skDhIfd), decodePoint(curve, h(I1.pkDhIc), 'pk'));
    expect(hex(K)).toBe(I1.shared);
    const keys = sessionKeys(suite, K);
    expect(hex(keys.ksEnc)).toBe(I1.ksEnc);
    expect(hex(keys.ksMac)).toBe(I1.ksMac);
    expect(hex(authToken(suite, keys.ksMac, h(I1.pkDhIc)))).toBe(I1.tIfd);
    expect(hex(authToken(suite, keys.ksMac, h(I1.pkDhIfd)))).toBe(I1.tIc);
  });
  it('decrypts the chip authentication data and verifies it against PK_IC', () => {
    const ca = decryptCamData(h(I1.ksEnc), h(I1.aIc));
    expect(hex(ca)).toBe(I1.caIc);
    expect(verifyCamData(curve, ca, h(I1.pkMapIc), h(I1.pkIc))).toBe(true);
    expect(verifyCamData(curve, ca, h(I1.pkMapIfd), h(I1.pkIc))).toBe(false);
    expect(hex(encodePoint(curve, curve.Point.BASE.multiply(skIc)))).toBe(I1.pkIc);
  });
  it('the terminal reproduces the I.1 exchange byte for byte', async () => {
    const chip = scripted(I1_TRANSCRIPT);
    const r = await paceTerminal(chip.send, {
      password: { kind: 'mrz', mrzInfo: I1.mrzInfo },
      info: info(),
      includeParameterId: false,
      random: replay(I1.skMapIfd, I1.skDhIfd),
    });
    expect(chip.done()).toBe(true);
    expect(r.mapping).toBe('CAM');
    expect(hex(r.cam!.chipAuthenticationData)).toBe(I1.caIc);
    expect(hex(r.cam!.mappingPublicKey)).toBe(I1.pkMapIc);
  });
  it('the chip reproduces the I.1 responses byte for byte', () => {
    const chip = new PaceChip({
      mrzInfo: I1.mrzInfo,
      info: info(),
      chipAuthenticationPrivateKey: skIc,
      // The example's SK_DH,IC exceeds n; a chip draws keys below n, so it replays the same key reduced mod n.
      random: replay(I1.s, I1.skMapIc, hex(bigToBytes(big(I1.skDhIc) % curve.n, 32))),
    });
    for (const [cmd, rsp] of I1_TRANSCRIPT) {
      expect(hex(encodeResponse(chip.handle(parseCommand(h(cmd))).response))).toBe(rsp.toUpperCase());
    }
  });
});

function modInverse(a: bigint, n: bigint): bigint {
  let [r0, r1, s0, s1] = [n, a % n, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % n) + n) % n;
}

// ---------------------------------------------------------------------------------
// Terminal against chip, in process.

const CAN = '123456';
const MRZ_INFO = mrzInformation({ documentNumber: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' });

const CURVES = [12, 13, 15, 16, 17, 18];
const SUITES = [
  PACE.ECDH_GM_3DES_CBC_CBC,
  PACE.ECDH_GM_AES_CBC_CMAC_128,
  PACE.ECDH_GM_AES_CBC_CMAC_192,
  PACE.ECDH_GM_AES_CBC_CMAC_256,
  PACE.ECDH_IM_3DES_CBC_CBC,
  PACE.ECDH_IM_AES_CBC_CMAC_128,
  PACE.ECDH_IM_AES_CBC_CMAC_256,
  PACE.ECDH_CAM_AES_CBC_CMAC_128,
  PACE.ECDH_CAM_AES_CBC_CMAC_256,
];

function chipFor(protocol: string, parameterId: number): { chip: PaceChip; info: PaceInfo; skIc: bigint } {
  const info: PaceInfo = { kind: 'pace', protocol, version: 2, parameterId };
  const skIc = 0x1234567890abcdefn;
  return { chip: new PaceChip({ can: CAN, mrzInfo: MRZ_INFO, info, chipAuthenticationPrivateKey: skIc }), info, skIc };
}

describe('paceTerminal against PaceChip', () => {
  for (const parameterId of CURVES) {
    for (const [kind, password] of [
      ['CAN', { kind: 'can', can: CAN }],
      ['MRZ', { kind: 'mrz', mrzInfo: MRZ_INFO }],
    ] as const) {
      it(`GM AES-128, curve ${parameterId}, ${kind}: same keys both sides, then one SM command`, async () => {
        const { chip, info } = chipFor(PACE.ECDH_GM_AES_CBC_CMAC_128, parameterId);
        let chipSm: import('../../drivers/emrtd/secure-messaging.js').SecureMessaging | undefined;
        const r = await paceTerminal(wire(chip, (sm) => (chipSm = sm as typeof chipSm)), { password, info });
        expect(chipSm).toBeDefined();
        expect(chip.step).toBe('done');
        // SELECT the eMRTD application, protected by the terminal, opened by the chip, answered back.
        const select: Command = { cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data: h('A0000002471001') };
        const opened = chipSm!.unwrapCommand(parseCommand(encodeCommand(r.sm.wrap(select))));
        expect(hex(opened.data!)).toBe('A0000002471001');
        expect(opened.ins).toBe(0xa4);
        const answer = chipSm!.wrapResponse({ data: h('6A'), sw: 0x9000 });
        const back = r.sm.unwrap(parseResponse(encodeResponse(answer)));
        expect(hex(back.data)).toBe('6A');
        expect(back.sw).toBe(0x9000);
      });
    }
  }

  for (const protocol of SUITES) {
    it(`suite ${protocol} on brainpoolP256r1 with CAN`, async () => {
      const { chip, info, skIc } = chipFor(protocol, 13);
      let chipSm: import('../../drivers/emrtd/secure-messaging.js').SecureMessaging | undefined;
      const r = await paceTerminal(wire(chip, (sm) => (chipSm = sm as typeof chipSm)), {
        password: { kind: 'can', can: CAN },
        info,
      });
      const suite = paceSuite(protocol);
      expect(r.mapping).toBe(suite.mapping);
      expect(r.sm.kind).toBe(suite.sm);
      const wrapped = r.sm.wrap({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 });
      expect(chipSm!.unwrapCommand(wrapped).le).toBe(4);
      expect(hex(r.sm.unwrap(chipSm!.wrapResponse({ data: h('60145F01'), sw: 0x9000 })).data)).toBe('60145F01');
      if (suite.mapping === 'CAM') {
        const curve = paceCurve(13);
        const pkIc = encodePoint(curve, curve.Point.BASE.multiply(skIc));
        expect(verifyCamData(curve, r.cam!.chipAuthenticationData, r.cam!.mappingPublicKey, pkIc)).toBe(true);
      }
    });
  }

  for (const [name, wrong] of [
    ['wrong CAN', { kind: 'can', can: '654321' }],
    ['wrong MRZ', { kind: 'mrz', mrzInfo: mrzInformation({ documentNumber: '001099012345', dateOfBirth: '990102', dateOfExpiry: '390101' }) }],
  ] as const) {
    for (const protocol of [PACE.ECDH_GM_AES_CBC_CMAC_128, PACE.ECDH_IM_AES_CBC_CMAC_128, PACE.ECDH_GM_3DES_CBC_CBC]) {
      it(`${name} is ACCESS_DENIED (${protocol}), and the chip stays closed`, async () => {
        const { chip, info } = chipFor(protocol, 13);
        let chipSm: unknown;
        const err = await rejection(paceTerminal(wire(chip, (sm) => (chipSm = sm)), { password: wrong, info }));
        expect(isIdkError(err, 'ACCESS_DENIED')).toBe(true);
        expect(chipSm).toBeUndefined();
        expect(chip.step).toBe('idle');
      });
    }
  }

  it('the chip answers 6A88 when asked for a password it does not have', async () => {
    const info: PaceInfo = { kind: 'pace', protocol: PACE.ECDH_GM_AES_CBC_CMAC_128, version: 2, parameterId: 13 };
    const chip = new PaceChip({ can: CAN, info });
    const err = await rejection(paceTerminal(wire(chip), { password: { kind: 'mrz', mrzInfo: MRZ_INFO }, info }));
    expect(isIdkError(err, 'CARD_STATUS')).toBe(true);
    expect((err as { sw: number }).sw).toBe(0x6a88);
  });

  it('the chip rejects steps out of order with 6985', () => {
    const { chip } = chipFor(PACE.ECDH_GM_AES_CBC_CMAC_128, 13);
    const ga = (cla: number, inner: string) => chip.handle(parseCommand(h(`${cla.toString(16).padStart(2, '0')}860000${(inner.length / 2 + 2).toString(16).padStart(2, '0')}7C${(inner.length / 2).toString(16).padStart(2, '0')}${inner}00`))).response.sw;
    // GENERAL AUTHENTICATE before MSE:Set AT.
    expect(ga(0x10, '')).toBe(0x6985);
    expect(chip.handle(parseCommand(h('0022C1A40F800A04007F00070202040202830102'))).response.sw).toBe(0x9000);
    // The mutual-authentication step (last of the chain) first.
    expect(ga(0x00, '85080000000000000000')).toBe(0x6985);
    // After an abort the chip wants a fresh MSE:Set AT.
    expect(ga(0x10, '')).toBe(0x6985);
    expect(chip.handle(parseCommand(h('0022C1A40F800A04007F00070202040202830102'))).response.sw).toBe(0x9000);
    expect(ga(0x10, '')).toBe(0x9000);
    // Key agreement (83) while the chip waits for mapping data (81).
    expect(ga(0x10, '8341' + G1.pkDhIfd)).toBe(0x6A80);
    expect(chip.step).toBe('idle');
  });

  it('MSE:Set AT with another OID or parameter ID is refused', () => {
    const { chip } = chipFor(PACE.ECDH_GM_AES_CBC_CMAC_128, 13);
    expect(chip.handle(parseCommand(h('0022C1A40F800A04007F00070202040402830102'))).response.sw).toBe(0x6a80);
    expect(chip.handle(parseCommand(h('0022C1A412800A04007F0007020204020283010284010C'))).response.sw).toBe(0x6a88);
    expect(chip.handle(parseCommand(h('0022C1A40F800A04007F00070202040202830103'))).response.sw).toBe(0x6a80);
  });

  it('refuses DH suites and unknown parameter IDs with UNSUPPORTED', async () => {
    const send = async (): Promise<Response> => ({ data: new Uint8Array(0), sw: 0x9000 });
    for (const info of [
      { kind: 'pace', protocol: PACE.DH_GM_AES_CBC_CMAC_128, version: 2, parameterId: 0 },
      { kind: 'pace', protocol: PACE.ECDH_GM_AES_CBC_CMAC_128, version: 2, parameterId: 14 },
      { kind: 'pace', protocol: PACE.ECDH_GM_AES_CBC_CMAC_128, version: 2 },
    ] as PaceInfo[]) {
      const err = await rejection(paceTerminal(send, { password: { kind: 'can', can: CAN }, info }));
      expect(isIdkError(err, 'UNSUPPORTED')).toBe(true);
    }
  });

  it('rejects a malformed CAN before talking to the chip', async () => {
    let sent = 0;
    const send = async (): Promise<Response> => {
      sent++;
      return { data: new Uint8Array(0), sw: 0x9000 };
    };
    const info: PaceInfo = { kind: 'pace', protocol: PACE.ECDH_GM_AES_CBC_CMAC_128, version: 2, parameterId: 13 };
    const err = await rejection(paceTerminal(send, { password: { kind: 'can', can: '12a456' }, info }));
    expect(isIdkError(err, 'BAD_ACCESS_KEY')).toBe(true);
    expect(sent).toBe(0);
  });

  it('a chip that reflects the terminal key is refused', async () => {
    const { chip, info } = chipFor(PACE.ECDH_GM_AES_CBC_CMAC_128, 13);
    const honest = wire(chip);
    const send = async (c: Command): Promise<Response> => {
      const r = await honest(c);
      // Step 3: answer with the terminal's own ephemeral key.
      if (c.data && c.data[2] === 0x83) return { data: concat(h('7C438441'), c.data.subarray(4)), sw: 0x9000 };
      return r;
    };
    const err = await rejection(paceTerminal(send, { password: { kind: 'can', can: CAN }, info }));
    expect(isIdkError(err, 'MALFORMED_DATA')).toBe(true);
  });
});
