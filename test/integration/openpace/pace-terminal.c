/*
 * A PACE terminal built on OpenPACE (libeac), the library behind OpenSC's PACE, used as an
 * independent peer of our software chip: it reads EF.CardAccess, runs PACE with the CAN,
 * opens secure messaging with OpenPACE's own SM primitives, selects the eMRTD application
 * and prints EF.COM and DG1 as hex, one "NAME HEX" line each.
 *
 * Usage: pace-terminal READER CAN
 * Exit 0 on success; 1 with a message on stderr on any failure (including a chip refusal).
 */
#include <eac/eac.h>
#include <eac/pace.h>
#include <openssl/buffer.h>
#include <openssl/objects.h>
#include <winscard.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SCARDCONTEXT pcsc;
static SCARDHANDLE card;
static DWORD protocol;

/* Runs on every exit, die() included: a process that leaves without SCardDisconnect keeps the
 * card locked (exclusive) until pcscd notices the dead client, and the next program is refused. */
static void release_card(void) {
    if (card) SCardDisconnect(card, SCARD_RESET_CARD);
    if (pcsc) SCardReleaseContext(pcsc);
    card = 0;
    pcsc = 0;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("pace-terminal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void print_hex(FILE *out, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) fprintf(out, "%02X", p[i]);
}

/* One APDU exchange; returns the response length (data + SW). */
static size_t transmit(const unsigned char *cmd, size_t len, unsigned char *rsp, size_t cap) {
    DWORD rlen = (DWORD)cap;
    const SCARD_IO_REQUEST *pci = protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    LONG rv = SCardTransmit(card, pci, cmd, (DWORD)len, NULL, rsp, &rlen);
    if (rv != SCARD_S_SUCCESS) die("SCardTransmit: %s", pcsc_stringify_error(rv));
    if (rlen < 2) die("response shorter than a status word");
    return rlen;
}

static unsigned sw_of(const unsigned char *rsp, size_t n) { return (unsigned)rsp[n - 2] << 8 | rsp[n - 1]; }

static void expect_9000(const char *what, const unsigned char *cmd, size_t clen, const unsigned char *rsp, size_t n) {
    if (sw_of(rsp, n) == 0x9000) return;
    fprintf(stderr, "pace-terminal: %s refused with SW %04X; command ", what, sw_of(rsp, n));
    print_hex(stderr, cmd, clen);
    fputc('\n', stderr);
    exit(1);
}

static size_t put_tlv(unsigned char *out, unsigned tag, const unsigned char *v, size_t len) {
    size_t i = 0;
    if (tag > 0xff) out[i++] = (unsigned char)(tag >> 8);
    out[i++] = (unsigned char)tag;
    if (len < 0x80) out[i++] = (unsigned char)len;
    else if (len < 0x100) { out[i++] = 0x81; out[i++] = (unsigned char)len; }
    else { out[i++] = 0x82; out[i++] = (unsigned char)(len >> 8); out[i++] = (unsigned char)len; }
    memcpy(out + i, v, len);
    return i + len;
}

/* Finds a primitive TLV with a one-byte tag among [p, p+n); returns its value or NULL. */
static const unsigned char *find_tlv(const unsigned char *p, size_t n, unsigned char tag, size_t *vlen) {
    size_t i = 0;
    while (i + 2 <= n) {
        unsigned char t = p[i++];
        size_t len = p[i++];
        if (len == 0x81 && i < n) len = p[i++];
        else if (len == 0x82 && i + 1 < n) { len = (size_t)p[i] << 8 | p[i + 1]; i += 2; }
        else if (len >= 0x80) return NULL;
        if (i + len > n) return NULL;
        if (t == tag) { *vlen = len; return p + i; }
        i += len;
    }
    return NULL;
}

/* GENERAL AUTHENTICATE: dynamic authentication data 7C{tag data}; returns the value under want. */
static BUF_MEM *general_authenticate(int last, unsigned char tag, const BUF_MEM *data, unsigned char want, const char *what) {
    unsigned char inner[600], cmd[700], rsp[600];
    size_t il = data ? put_tlv(inner, tag, (const unsigned char *)data->data, data->length) : 0;
    size_t c = 0;
    cmd[c++] = last ? 0x00 : 0x10;
    cmd[c++] = 0x86; cmd[c++] = 0x00; cmd[c++] = 0x00;
    unsigned char body[650];
    size_t bl = put_tlv(body, 0x7c, inner, il);
    cmd[c++] = (unsigned char)bl;
    memcpy(cmd + c, body, bl); c += bl;
    cmd[c++] = 0x00;
    size_t n = transmit(cmd, c, rsp, sizeof rsp);
    expect_9000(what, cmd, c, rsp, n);
    size_t ol, vl;
    const unsigned char *outer = find_tlv(rsp, n - 2, 0x7c, &ol);
    if (!outer) die("%s: no 7C in the answer", what);
    const unsigned char *v = find_tlv(outer, ol, want, &vl);
    if (!v) die("%s: no tag %02X in the answer", what, want);
    BUF_MEM *b = BUF_MEM_new();
    BUF_MEM_grow(b, vl);
    memcpy(b->data, v, vl);
    return b;
}

static BUF_MEM *buf(const unsigned char *p, size_t n) {
    BUF_MEM *b = BUF_MEM_new();
    if (!b || !BUF_MEM_grow(b, n)) die("out of memory");
    memcpy(b->data, p, n);
    return b;
}

/* Plain READ BINARY of the whole currently selected file (EF.CardAccess, before PACE). */
static size_t read_plain(unsigned char *out, size_t cap) {
    size_t got = 0;
    for (;;) {
        unsigned char cmd[5] = {0x00, 0xb0, (unsigned char)(got >> 8), (unsigned char)got, 0xdf}, rsp[260];
        size_t n = transmit(cmd, 5, rsp, sizeof rsp);
        unsigned sw = sw_of(rsp, n);
        if (sw == 0x6b00 || (sw == 0x6282 && n == 2)) break;
        if (sw != 0x9000 && sw != 0x6282) expect_9000("READ BINARY EF.CardAccess", cmd, 5, rsp, n);
        if (got + n - 2 > cap) die("EF.CardAccess too large");
        memcpy(out + got, rsp, n - 2);
        got += n - 2;
        if (n - 2 < 0xdf || sw == 0x6282) break;
    }
    return got;
}

/*
 * Secure messaging (ICAO 9303-11 §9.8) with OpenPACE's primitives: EAC_encrypt derives
 * the AES IV from the SSC itself, EAC_authenticate prepends the SSC before the MAC.
 */
static size_t sm_transmit(EAC_CTX *ctx, const unsigned char *apdu, size_t alen, unsigned char *out, size_t cap, unsigned *sw_out) {
    unsigned char cla = apdu[0], ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
    const unsigned char *data = NULL;
    size_t dlen = 0;
    int has_le = 0;
    unsigned char le = 0;
    if (alen == 5) { has_le = 1; le = apdu[4]; }
    else if (alen > 5) {
        dlen = apdu[4]; data = apdu + 5;
        if (alen == 6 + dlen) { has_le = 1; le = apdu[alen - 1]; }
    }
    if (!EAC_increment_ssc(ctx)) die("EAC_increment_ssc failed");
    unsigned char header[4] = {(unsigned char)(cla | 0x0c), ins, p1, p2};
    unsigned char body[300];
    size_t bl = 0;
    if (dlen) {
        BUF_MEM *plain = buf(data, dlen);
        BUF_MEM *padded = EAC_add_iso_pad(ctx, plain);
        BUF_MEM *enc = padded ? EAC_encrypt(ctx, padded) : NULL;
        if (!enc) die("EAC_encrypt failed");
        unsigned char v[280];
        v[0] = 0x01;
        memcpy(v + 1, enc->data, enc->length);
        bl += put_tlv(body + bl, 0x87, v, enc->length + 1);
        BUF_MEM_free(plain); BUF_MEM_free(padded); BUF_MEM_free(enc);
    }
    if (has_le) bl += put_tlv(body + bl, 0x97, &le, 1);
    BUF_MEM *h = buf(header, 4);
    BUF_MEM *hp = EAC_add_iso_pad(ctx, h);
    if (!hp) die("EAC_add_iso_pad failed");
    BUF_MEM *macin = BUF_MEM_new();
    BUF_MEM_grow(macin, hp->length + bl);
    memcpy(macin->data, hp->data, hp->length);
    memcpy(macin->data + hp->length, body, bl);
    BUF_MEM *macpad = EAC_add_iso_pad(ctx, macin);
    BUF_MEM *mac = macpad ? EAC_authenticate(ctx, macpad) : NULL;
    if (!mac) die("EAC_authenticate failed");
    bl += put_tlv(body + bl, 0x8e, (const unsigned char *)mac->data, mac->length);
    BUF_MEM_free(h); BUF_MEM_free(hp); BUF_MEM_free(macin); BUF_MEM_free(macpad); BUF_MEM_free(mac);

    unsigned char cmd[320], rsp[300];
    size_t c = 0;
    memcpy(cmd, header, 4); c = 4;
    cmd[c++] = (unsigned char)bl;
    memcpy(cmd + c, body, bl); c += bl;
    cmd[c++] = 0x00;
    size_t n = transmit(cmd, c, rsp, sizeof rsp);
    unsigned sw = sw_of(rsp, n);
    if (!EAC_increment_ssc(ctx)) die("EAC_increment_ssc failed");
    if (n == 2) { *sw_out = sw; return 0; } /* an unprotected error status */
    size_t l87 = 0, l99 = 0, l8e = 0;
    const unsigned char *d87 = find_tlv(rsp, n - 2, 0x87, &l87);
    const unsigned char *d99 = find_tlv(rsp, n - 2, 0x99, &l99);
    const unsigned char *d8e = find_tlv(rsp, n - 2, 0x8e, &l8e);
    if (!d99 || !d8e || l99 != 2) die("SM response without DO99/DO8E: SW %04X", sw);
    /* The MAC covers every data object before DO8E, as sent. */
    BUF_MEM *covered = buf(rsp, (size_t)(d8e - 2 - rsp));
    BUF_MEM *cp = EAC_add_iso_pad(ctx, covered);
    BUF_MEM *rmac = buf(d8e, l8e);
    if (!cp || EAC_verify_authentication(ctx, cp, rmac) != 1) die("the chip's SM response MAC does not verify (SSC out of step?)");
    BUF_MEM_free(covered); BUF_MEM_free(cp); BUF_MEM_free(rmac);
    *sw_out = (unsigned)d99[0] << 8 | d99[1];
    if (!d87) return 0;
    if (l87 < 2 || d87[0] != 0x01) die("DO87 without padding indicator 01");
    BUF_MEM *enc = buf(d87 + 1, l87 - 1);
    BUF_MEM *dec = EAC_decrypt(ctx, enc);
    BUF_MEM *plain = dec ? EAC_remove_iso_pad(dec) : NULL;
    if (!plain) die("EAC_decrypt of the response failed");
    if (plain->length > cap) die("SM response too large");
    memcpy(out, plain->data, plain->length);
    size_t len = plain->length;
    BUF_MEM_free(enc); BUF_MEM_free(dec); BUF_MEM_free(plain);
    return len;
}

static void sm_expect(EAC_CTX *ctx, const char *what, const unsigned char *apdu, size_t alen) {
    unsigned char out[16];
    unsigned sw;
    sm_transmit(ctx, apdu, alen, out, sizeof out, &sw);
    if (sw != 0x9000) die("%s under SM refused with SW %04X", what, sw);
}

/* SELECT the file under SM and read it whole, its length taken from its TLV header. */
static void sm_read_file(EAC_CTX *ctx, const char *name, unsigned char fid_hi, unsigned char fid_lo) {
    unsigned char sel[7] = {0x00, 0xa4, 0x02, 0x0c, 0x02, fid_hi, fid_lo};
    sm_expect(ctx, name, sel, sizeof sel);
    static unsigned char file[65536];
    size_t got = 0, total = 0;
    for (;;) {
        size_t want = total ? total - got : 8;
        if (want > 0xdf) want = 0xdf;
        unsigned char rb[5] = {0x00, 0xb0, (unsigned char)(got >> 8), (unsigned char)got, (unsigned char)want};
        unsigned sw;
        size_t n = sm_transmit(ctx, rb, 5, file + got, sizeof file - got, &sw);
        if (sw != 0x9000) die("READ BINARY %s at %zu refused with SW %04X", name, got, sw);
        if (n == 0) die("READ BINARY %s at %zu returned no data", name, got);
        got += n;
        if (!total) {
            /* tag (1 byte for EF.COM 60 and DG1 61) + BER length */
            size_t hl = 2, l = file[1];
            if (l == 0x81) { l = file[2]; hl = 3; }
            else if (l == 0x82) { l = (size_t)file[2] << 8 | file[3]; hl = 4; }
            total = hl + l;
            if (total > sizeof file) die("%s too large", name);
        }
        if (got >= total) break;
    }
    printf("%s ", name);
    print_hex(stdout, file, total);
    putchar('\n');
}

int main(int argc, char **argv) {
    if (argc != 3) die("usage: pace-terminal READER CAN");
    const char *reader = argv[1], *can = argv[2];

    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &pcsc);
    if (rv != SCARD_S_SUCCESS) die("SCardEstablishContext: %s", pcsc_stringify_error(rv));
    atexit(release_card);
    rv = SCardConnect(pcsc, reader, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &protocol);
    if (rv != SCARD_S_SUCCESS) die("SCardConnect(%s): %s", reader, pcsc_stringify_error(rv));

    /* EF.CardAccess from the master file, plain. */
    unsigned char rsp[300];
    const unsigned char sel_ca[7] = {0x00, 0xa4, 0x02, 0x0c, 0x02, 0x01, 0x1c};
    size_t n = transmit(sel_ca, sizeof sel_ca, rsp, sizeof rsp);
    expect_9000("SELECT EF.CardAccess", sel_ca, sizeof sel_ca, rsp, n);
    unsigned char ca[4096];
    size_t calen = read_plain(ca, sizeof ca);

    EAC_init();
    EAC_CTX *ctx = EAC_CTX_new();
    if (!ctx || !EAC_CTX_init_ef_cardaccess(ca, calen, ctx) || !ctx->pace_ctx)
        die("OpenPACE could not parse EF.CardAccess (%zu bytes)", calen);
    const ASN1_OBJECT *oid = OBJ_nid2obj(ctx->pace_ctx->protocol);
    if (!oid || OBJ_length(oid) == 0) die("no OID for the PACE protocol NID %d", ctx->pace_ctx->protocol);
    fprintf(stderr, "pace-terminal: EF.CardAccess -> %s\n", OBJ_nid2sn(ctx->pace_ctx->protocol));

    /* MSE:Set AT: protocol OID (80) and password reference CAN = 2 (83); no Le. */
    unsigned char mse[64], data[48];
    size_t dl = put_tlv(data, 0x80, OBJ_get0_data(oid), OBJ_length(oid));
    const unsigned char ref = 0x02;
    dl += put_tlv(data + dl, 0x83, &ref, 1);
    size_t ml = 0;
    mse[ml++] = 0x00; mse[ml++] = 0x22; mse[ml++] = 0xc1; mse[ml++] = 0xa4;
    mse[ml++] = (unsigned char)dl;
    memcpy(mse + ml, data, dl); ml += dl;
    n = transmit(mse, ml, rsp, sizeof rsp);
    expect_9000("MSE:Set AT", mse, ml, rsp, n);

    PACE_SEC *sec = PACE_SEC_new(can, strlen(can), PACE_CAN);
    if (!sec) die("PACE_SEC_new failed");

    BUF_MEM *enc_nonce = general_authenticate(0, 0, NULL, 0x80, "GA encrypted nonce");
    if (!PACE_STEP2_dec_nonce(ctx, sec, enc_nonce)) die("PACE_STEP2_dec_nonce failed");

    BUF_MEM *map_mine = PACE_STEP3A_generate_mapping_data(ctx);
    if (!map_mine) die("PACE_STEP3A_generate_mapping_data failed");
    BUF_MEM *map_chip = general_authenticate(0, 0x81, map_mine, 0x82, "GA map nonce");
    if (!PACE_STEP3A_map_generator(ctx, map_chip)) die("PACE_STEP3A_map_generator failed");

    BUF_MEM *eph_mine = PACE_STEP3B_generate_ephemeral_key(ctx);
    if (!eph_mine) die("PACE_STEP3B_generate_ephemeral_key failed");
    BUF_MEM *eph_chip = general_authenticate(0, 0x83, eph_mine, 0x84, "GA key agreement");
    if (!PACE_STEP3B_compute_shared_secret(ctx, eph_chip)) die("PACE_STEP3B_compute_shared_secret failed");
    if (!PACE_STEP3C_derive_keys(ctx)) die("PACE_STEP3C_derive_keys failed");

    BUF_MEM *token_mine = PACE_STEP3D_compute_authentication_token(ctx, eph_chip);
    if (!token_mine) die("PACE_STEP3D_compute_authentication_token failed");
    BUF_MEM *token_chip = general_authenticate(1, 0x85, token_mine, 0x86, "GA mutual authentication");
    if (PACE_STEP3D_verify_authentication_token(ctx, token_chip) != 1) die("the chip's authentication token does not verify");
    if (!EAC_CTX_set_encryption_ctx(ctx, EAC_ID_PACE)) die("EAC_CTX_set_encryption_ctx failed");
    fprintf(stderr, "pace-terminal: PACE established\n");

    const unsigned char sel_app[12] = {0x00, 0xa4, 0x04, 0x0c, 0x07, 0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};
    sm_expect(ctx, "SELECT eMRTD application", sel_app, sizeof sel_app);
    sm_read_file(ctx, "EF.COM", 0x01, 0x1e);
    sm_read_file(ctx, "DG1", 0x01, 0x01);

    PACE_SEC_clear_free(sec);
    BUF_MEM_free(enc_nonce); BUF_MEM_free(map_mine); BUF_MEM_free(map_chip);
    BUF_MEM_free(eph_mine); BUF_MEM_free(eph_chip); BUF_MEM_free(token_mine); BUF_MEM_free(token_chip);
    EAC_CTX_clear_free(ctx);
    EAC_cleanup();
    return 0;
}
