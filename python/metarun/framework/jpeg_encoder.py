"""JPEG encoding with the bytes TF's EncodeJpeg writes (libjpeg-turbo, ISLOW DCT,
jpeg_set_quality with baseline limits): baseline with the standard Huffman tables, or with
tables optimized for the image (optimize_size), or progressive with jpeg_simple_progression's
scans, each scan with its own optimized tables as libjpeg makes them.

simplejpeg's libjpeg-turbo writes the same markers as TF's (quantization and Huffman tables,
frame and scan headers), so the header comes from it, with TF's density and XMP segment put
in; but its encoder does not use the accurate integer DCT TF uses, so the scan is computed
here with libjpeg's arithmetic: its RGB->YCbCr tables, its edge replication and 2x2 / 2x1
averaging with alternating bias, the 8x8 ISLOW forward DCT, the reciprocal quantization of
libjpeg-turbo's SIMD path, and dummy blocks (DC copied, AC zero) filling the last MCUs.
"""

import struct

import numpy as np


_ORDER = np.array(sorted(range(64), key=lambda n: (n // 8 + n % 8,
                                                  n // 8 if (n // 8 + n % 8) % 2 else -(n // 8))))


def _fix(x):
    return int(x * 65536 + 0.5)


def _ycc(rgb):
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    half, offset = 1 << 15, 128 << 16
    y = (_fix(0.299) * r + _fix(0.587) * g + _fix(0.114) * b + half) >> 16
    cb = (-_fix(0.16874) * r - _fix(0.33126) * g + _fix(0.5) * b + offset + half - 1) >> 16
    cr = (_fix(0.5) * r - _fix(0.41869) * g - _fix(0.08131) * b + offset + half - 1) >> 16
    return [y, cb, cr]


def _plane(full, h_ratio, v_ratio, width_blocks, height_blocks):
    """A component's samples: the full-size plane edge-replicated, averaged h_ratio x v_ratio as
    libjpeg does (bias alternating 1,2 for 2x2 and 0,1 for 2x1), then rows replicated down to
    whole blocks."""
    h, w = full.shape
    cols = width_blocks * 8 * h_ratio
    rows = -(-h // v_ratio) * v_ratio
    x = np.pad(full, ((0, rows - h), (0, max(0, cols - w))), mode="edge")[:, :cols]
    if h_ratio == 2 and v_ratio == 2:
        s = x[0::2, 0::2] + x[0::2, 1::2] + x[1::2, 0::2] + x[1::2, 1::2]
        bias = np.tile([1, 2], s.shape[1] // 2 + 1)[:s.shape[1]]
        x = (s + bias) >> 2
    elif h_ratio == 2:
        s = x[:, 0::2] + x[:, 1::2]
        bias = np.tile([0, 1], s.shape[1] // 2 + 1)[:s.shape[1]]
        x = (s + bias) >> 1
    return np.pad(x, ((0, height_blocks * 8 - x.shape[0]), (0, 0)), mode="edge")


_C = {"0.298": 2446, "0.390": 3196, "0.541": 4433, "0.765": 6270, "0.899": 7373, "1.175": 9633, "1.501": 12299,
      "1.847": 15137, "1.961": 16069, "2.053": 16819, "2.562": 20995, "3.072": 25172}


def _pass(d, last):
    """One 1-D pass of libjpeg's jfdctint over axis 1 of d[..., 8]; `last` selects pass 2's scaling."""
    const_bits, pass1 = 13, 2

    def descale(v, n):
        return (v + (1 << (n - 1))) >> n

    d = [d[:, i] for i in range(8)]
    tmp0, tmp7 = d[0] + d[7], d[0] - d[7]
    tmp1, tmp6 = d[1] + d[6], d[1] - d[6]
    tmp2, tmp5 = d[2] + d[5], d[2] - d[5]
    tmp3, tmp4 = d[3] + d[4], d[3] - d[4]
    tmp10, tmp13, tmp11, tmp12 = tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2
    out = [None] * 8
    shift = const_bits + pass1 if last else const_bits - pass1
    if last:
        out[0], out[4] = descale(tmp10 + tmp11, pass1), descale(tmp10 - tmp11, pass1)
    else:
        out[0], out[4] = (tmp10 + tmp11) << pass1, (tmp10 - tmp11) << pass1
    z1 = (tmp12 + tmp13) * _C["0.541"]
    out[2] = descale(z1 + tmp13 * _C["0.765"], shift)
    out[6] = descale(z1 - tmp12 * _C["1.847"], shift)
    z1, z2, z3, z4 = tmp4 + tmp7, tmp5 + tmp6, tmp4 + tmp6, tmp5 + tmp7
    z5 = (z3 + z4) * _C["1.175"]
    tmp4, tmp5, tmp6, tmp7 = tmp4 * _C["0.298"], tmp5 * _C["2.053"], tmp6 * _C["3.072"], tmp7 * _C["1.501"]
    z1, z2 = z1 * -_C["0.899"], z2 * -_C["2.562"]
    z3, z4 = z3 * -_C["1.961"] + z5, z4 * -_C["0.390"] + z5
    out[7] = descale(tmp4 + z1 + z3, shift)
    out[5] = descale(tmp5 + z2 + z4, shift)
    out[3] = descale(tmp6 + z2 + z3, shift)
    out[1] = descale(tmp7 + z1 + z4, shift)
    return np.stack(out, axis=1)


def _fdct(blocks):
    """ISLOW forward DCT of [n, 8, 8] centred samples (outputs scaled by 8, as libjpeg's)."""
    rows = _pass(blocks.reshape(-1, 8), False).reshape(-1, 8, 8)
    cols = _pass(rows.transpose(0, 2, 1).reshape(-1, 8), True).reshape(-1, 8, 8)
    return cols.transpose(0, 2, 1).reshape(-1, 64)


def _quantize(coefs, quant):
    """libjpeg-turbo's reciprocal division by quant << 3 (16-bit DCTELEM): rounds like (x + q/2) / q."""
    out = np.empty_like(coefs)
    mag = np.abs(coefs)
    for i in range(64):
        d = int(quant[i]) << 3
        b = d.bit_length() - 1
        r = 16 + b
        fq, fr = divmod(1 << r, d)
        c = d // 2
        if fr == 0:
            fq >>= 1
            r -= 1
        elif fr <= d // 2:
            c += 1
        else:
            fq += 1
        if d == 1:  # never with the << 3, kept for the table's sake
            fq, c, r = 1, 0, 0
        q = ((mag[:, i] + c) * fq) >> r
        out[:, i] = np.where(coefs[:, i] < 0, -q, q)
    return out


def _segments(data):
    """(marker, body, start, end) of each marker segment up to and including SOS."""
    pos, out = 2, []
    while True:
        marker = data[pos + 1]
        length, = struct.unpack(">H", data[pos + 2:pos + 4])
        out.append((marker, data[pos + 4:pos + 2 + length], pos, pos + 2 + length))
        pos += 2 + length
        if marker == 0xDA:
            return out


def _huffman_tables(body):
    tables = {}
    pos = 0
    while pos < len(body):
        tc_th = body[pos]
        counts = body[pos + 1:pos + 17]
        n = sum(counts)
        values = body[pos + 17:pos + 17 + n]
        tables[tc_th] = (counts, values)
        pos += 17 + n
    return tables


def _bit_length(v):
    n = np.zeros(v.shape, np.int64)
    v = v.copy()
    while v.any():
        n += v > 0
        v >>= 1
    return n


def _extra_bits(v, n):
    """JPEG's magnitude bits: the value itself if positive, value - 1 in n bits if negative."""
    return np.where(v >= 0, v, v - 1) & ((1 << n) - 1)


def _scan_order(coded, mcus_x, mcus_y):
    """The blocks [n, 64] (zigzag order) in the scan's order and each one's component. An
    interleaved scan's last MCUs are completed with dummy blocks (AC zero, DC repeating the
    block before it in the MCU), as libjpeg's coefficient controller does."""
    if len(coded) == 1:
        q = coded[0][4]
        return q.reshape(-1, 64), np.zeros(q.shape[0] * q.shape[1], np.int64)
    per_comp = []
    for ci, (hs, vs, wb, hb, q) in enumerate(coded):
        my, mx, yy, xx = np.meshgrid(np.arange(mcus_y), np.arange(mcus_x), np.arange(vs), np.arange(hs), indexing="ij")
        by, bx = (my * vs + yy).reshape(mcus_y * mcus_x, vs * hs), (mx * hs + xx).reshape(mcus_y * mcus_x, vs * hs)
        real = (by < hb) & (bx < wb)
        blocks = np.zeros(by.shape + (64,), np.int64)
        blocks[real] = q[by[real], bx[real]]
        for t in range(1, vs * hs):
            blocks[:, t, 0] = np.where(real[:, t], blocks[:, t, 0], blocks[:, t - 1, 0])
        per_comp.append((blocks, np.full(by.shape, ci)))
    blocks = np.concatenate([b for b, _ in per_comp], axis=1).reshape(-1, 64)
    comp = np.concatenate([c for _, c in per_comp], axis=1).reshape(-1)
    return blocks, comp


def _scan_tokens(blocks, comp):
    """The Huffman tokens of a sequential scan as arrays (table, symbol, extra bits, bit count):
    per block the DC difference, then each nonzero AC coefficient after its zero run (a ZRL per
    16 zeros), then EOB when the block ends in zeros."""
    n = blocks.shape[0]
    chroma = (comp > 0).astype(np.int64)
    dc = blocks[:, 0]
    diff = np.zeros(n, np.int64)
    for c in np.unique(comp):
        idx = np.nonzero(comp == c)[0]
        diff[idx] = dc[idx] - np.concatenate([[0], dc[idx[:-1]]])
    dc_n = _bit_length(np.abs(diff))
    rows, cols = np.nonzero(blocks[:, 1:])
    k = cols + 1
    prev = np.concatenate([[0], k[:-1]])
    prev[np.concatenate([[True], rows[1:] != rows[:-1]])] = 0
    run = k - prev - 1
    values = blocks[rows, k]
    ac_n = _bit_length(np.abs(values))
    zrl = run // 16
    zrl_rows = np.repeat(rows, zrl)
    zrl_k = np.repeat(k, zrl)
    last = np.zeros(n, np.int64)
    last[rows] = k  # rows ascend, so the last write is each block's last nonzero
    eob = np.nonzero(last < 63)[0]
    table = np.concatenate([chroma, 16 | chroma[rows], 16 | chroma[zrl_rows], 16 | chroma[eob]])
    symbol = np.concatenate([dc_n, (run % 16) << 4 | ac_n, np.full(len(zrl_rows), 0xF0), np.zeros(len(eob), np.int64)])
    extra = np.concatenate([_extra_bits(diff, dc_n), _extra_bits(values, ac_n), np.zeros(len(zrl_rows) + len(eob),
                                                                                         np.int64)])
    nbits = np.concatenate([dc_n, ac_n, np.zeros(len(zrl_rows) + len(eob), np.int64)])
    key = np.concatenate([np.arange(n) * 256, rows * 256 + 2 * k + 1, zrl_rows * 256 + 2 * zrl_k, eob * 256 + 255])
    order = np.argsort(key, kind="stable")
    return table[order], symbol[order], extra[order], nbits[order]


def _entropy_bytes(tokens, tables):
    """The tokens' bits: the table's code for the symbol, then the extra bits (a table of -1:
    the bits alone); padded with ones, 0xFF bytes stuffed."""
    table, symbol, extra, nbits = tokens
    codes = np.zeros((33, 256), np.int64)
    lengths = np.zeros((33, 256), np.int64)
    for key, codebook in tables.items():
        for sym, (code, length) in codebook.items():
            codes[key, sym], lengths[key, sym] = code, length
    slot = np.where(table < 0, 32, table)
    value = codes[slot, symbol] << nbits | extra
    length = lengths[slot, symbol] + nbits
    total = int(length.sum())
    if total == 0:
        return b""
    starts = np.cumsum(length) - length
    offset = np.arange(total) - np.repeat(starts, length)
    bits = (np.repeat(value, length) >> (np.repeat(length, length) - 1 - offset)) & 1
    bits = np.concatenate([bits.astype(np.uint8), np.ones(-total % 8, np.uint8)])
    return np.packbits(bits).tobytes().replace(b"\xff", b"\xff\x00")


def _optimal_table(freq):
    """(bits, values) of libjpeg's jpeg_gen_optimal_table for symbol counts `freq` (256 long):
    Huffman's merging with its tie rule (the larger symbol first), a reserved pseudo-symbol 256
    so no code is all ones, and lengths over 16 folded back as JPEG's Annex K.3 does."""
    freq = list(freq) + [1]
    codesize = [0] * 257
    others = [-1] * 257
    while True:
        c1 = c2 = -1
        v = 1000000000
        for i in range(257):
            if freq[i] and freq[i] <= v:
                v, c1 = freq[i], i
        v = 1000000000
        for i in range(257):
            if freq[i] and freq[i] <= v and i != c1:
                v, c2 = freq[i], i
        if c2 < 0:
            break
        freq[c1] += freq[c2]
        freq[c2] = 0
        codesize[c1] += 1
        while others[c1] >= 0:
            c1 = others[c1]
            codesize[c1] += 1
        others[c1] = c2
        codesize[c2] += 1
        while others[c2] >= 0:
            c2 = others[c2]
            codesize[c2] += 1
    bits = [0] * 33
    for size in codesize:
        if size:
            bits[size] += 1
    for i in range(32, 16, -1):
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
    i = 16
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1
    values = [j for size in range(1, 33) for j in range(256) if codesize[j] == size]
    return bits[1:17], values


def _codes(counts, values):
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            codes[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


# ---- progressive mode: jpeg_simple_progression's scans, each with its own optimal tables ----

def _script(ncomps):
    """(components, Ss, Se, Ah, Al) of libjpeg's jpeg_simple_progression."""
    if ncomps == 3:
        return [((0, 1, 2), 0, 0, 0, 1), ((0,), 1, 5, 0, 2), ((2,), 1, 63, 0, 1), ((1,), 1, 63, 0, 1),
                ((0,), 6, 63, 0, 2), ((0,), 1, 63, 2, 1), ((0, 1, 2), 0, 0, 1, 0), ((2,), 1, 63, 1, 0),
                ((1,), 1, 63, 1, 0), ((0,), 1, 63, 1, 0)]
    return [((0,), 0, 0, 0, 1), ((0,), 1, 5, 0, 2), ((0,), 6, 63, 0, 2), ((0,), 1, 63, 2, 1), ((0,), 0, 0, 1, 0),
            ((0,), 1, 63, 1, 0)]


def _scan_blocks(coded, comps, mcus_x, mcus_y):
    """(component, block) in the scan's order: interleaved MCUs with dummy blocks for several
    components, the component's own blocks for one."""
    if len(comps) == 1:
        _, _, wb, hb, q = coded[comps[0]]
        for by in range(hb):
            for bx in range(wb):
                yield comps[0], q[by, bx]
        return
    for my in range(mcus_y):
        for mx in range(mcus_x):
            for ci in comps:
                hs, vs, wb, hb, q = coded[ci]
                prev_dc = None
                for yy in range(vs):
                    for xx in range(hs):
                        by, bx = my * vs + yy, mx * hs + xx
                        if by < hb and bx < wb:
                            block = q[by, bx]
                        else:
                            block = np.zeros(64, np.int64)
                            block[0] = prev_dc
                        prev_dc = int(block[0])
                        yield ci, block


class _AcState(object):
    """The EOB run and the correction bits waiting for it (libjpeg's EOBRUN and BE buffer)."""

    def __init__(self, out, table):
        self.out, self.table, self.eobrun, self.pending = out, table, 0, []

    def flush(self):
        if self.eobrun:
            n = self.eobrun.bit_length() - 1
            self.out.append((self.table, n << 4, self.eobrun & ((1 << n) - 1), n))
            self.eobrun = 0
            self.out.extend((None, 0, b, 1) for b in self.pending)
            self.pending = []


def _ac_first(state, block, ss, se, al):
    out, run = state.out, 0
    for k in range(ss, se + 1):
        v = int(block[k])
        mag = (-v if v < 0 else v) >> al
        if mag == 0:
            run += 1
            continue
        state.flush()
        while run > 15:
            out.append((state.table, 0xF0, 0, 0))
            run -= 16
        n = mag.bit_length()
        out.append((state.table, (run << 4) | n, (mag if v > 0 else ~mag) & ((1 << n) - 1), n))
        run = 0
    if run:
        state.eobrun += 1
        if state.eobrun == 0x7FFF:
            state.flush()


def _ac_refine(state, block, ss, se, al):
    out = state.out
    mags = [abs(int(block[k])) >> al for k in range(ss, se + 1)]
    eob = max((i for i, m in enumerate(mags) if m == 1), default=-1)
    run, corrections = 0, []
    for i, mag in enumerate(mags):
        if mag == 0:
            run += 1
            continue
        while run > 15 and i <= eob:
            state.flush()
            out.append((state.table, 0xF0, 0, 0))
            run -= 16
            out.extend((None, 0, b, 1) for b in corrections)
            corrections = []
        if mag > 1:
            corrections.append(mag & 1)
            continue
        state.flush()
        out.append((state.table, (run << 4) | 1, 0 if block[ss + i] < 0 else 1, 1))
        out.extend((None, 0, b, 1) for b in corrections)
        corrections, run = [], 0
    if run or corrections:
        state.eobrun += 1
        state.pending += corrections
        if state.eobrun == 0x7FFF or len(state.pending) > 1000 - 64 + 1:
            state.flush()


def _progressive_scans(coded, ids, mcus_x, mcus_y):
    """Each scan's SOS parameters and its tokens."""
    scans = []
    for comps, ss, se, ah, al in _script(len(coded)):
        out = []
        if ss == 0:
            last = {}
            for ci, block in _scan_blocks(coded, comps, mcus_x, mcus_y):
                if ah:
                    out.append((None, 0, (int(block[0]) >> al) & 1, 1))
                    continue
                v = int(block[0]) >> al
                diff = v - last.get(ci, 0)
                last[ci] = v
                n = abs(diff).bit_length()
                out.append((min(ci, 1), n, diff if diff >= 0 else (diff - 1) & ((1 << n) - 1), n))
        else:
            state = _AcState(out, 0x10 | min(comps[0], 1))
            for _, block in _scan_blocks(coded, comps, mcus_x, mcus_y):
                (_ac_refine if ah else _ac_first)(state, block, ss, se, al)
            state.flush()
        selectors = []
        for ci in comps:
            td, ta = (0 if ah else min(ci, 1), 0) if ss == 0 else (0, min(ci, 1))
            selectors.append(bytes([ids[ci], td << 4 | ta]))
        sos = bytes([len(comps)]) + b"".join(selectors) + bytes([ss, se, ah << 4 | al])
        scans.append((sos, out))
    return scans


def _progressive_body(coded, ids, mcus_x, mcus_y):
    body = b""
    for sos, tokens in _progressive_scans(coded, ids, mcus_x, mcus_y):
        keys = []
        for t in tokens:
            if t[0] is not None and t[0] not in keys:
                keys.append(t[0])
        tables = {}
        for key in sorted(keys, key=lambda k: (k & 15, k >> 4)):
            freq = [0] * 256
            for t in tokens:
                if t[0] == key:
                    freq[t[1]] += 1
            counts, values = _optimal_table(freq)
            tables[key] = _codes(counts, values)
            dht = bytes([key]) + bytes(counts) + bytes(values)
            body += b"\xff\xc4" + struct.pack(">H", len(dht) + 2) + dht
        arrays = tuple(np.array([(-1 if t[0] is None else t[0]) if i == 0 else t[i] for t in tokens], np.int64)
                       for i in range(4))
        body += b"\xff\xda" + struct.pack(">H", len(sos) + 2) + sos + _entropy_bytes(arrays, tables)
    return body


def encode(image, quality, chroma_downsampling=True, progressive=False, optimize=False, density=(1, 300, 300),
           xmp=b""):
    """JPEG bytes of an [h, w, 1 or 3] uint8 image as TF's EncodeJpeg writes them."""
    import simplejpeg
    h, w, c = image.shape
    gray = c == 1
    sub = "Gray" if gray else ("420" if chroma_downsampling else "444")
    reference = simplejpeg.encode_jpeg(image, quality=max(quality, 1), colorspace="GRAY" if gray else "RGB",
                                       colorsubsampling=sub)
    segments = _segments(reference)
    if segments[0][0] != 0xE0 or not segments[0][1].startswith(b"JFIF\0"):
        raise RuntimeError("simplejpeg wrote no JFIF marker first; the JPEG encoder relies on its layout")
    quant, huff, frame = {}, {}, None
    for marker, body, _, _ in segments:
        if marker == 0xDB:
            pos = 0
            while pos < len(body):
                table = np.zeros(64, np.int64)
                table[_ORDER] = np.frombuffer(body, np.uint8, 64, pos + 1)
                quant[body[pos] & 15] = table
                pos += 65
        elif marker == 0xC4:
            huff.update(_huffman_tables(body))
        elif marker == 0xC0:
            frame = body
    comps = [struct.unpack("BBB", frame[6 + 3 * i:9 + 3 * i]) for i in range(frame[5])]
    max_h = max(cp[1] >> 4 for cp in comps)
    max_v = max(cp[1] & 15 for cp in comps)
    planes = [image[..., 0].astype(np.int64)] if gray else _ycc(image)
    mcus_x, mcus_y = -(-w // (8 * max_h)), -(-h // (8 * max_v))
    coded = []
    for (cid, samp, tq), full in zip(comps, planes):
        hs, vs = samp >> 4, samp & 15
        wb, hb = -(-(-(-w * hs // max_h)) // 8), -(-(-(-h * vs // max_v)) // 8)
        plane = _plane(full, max_h // hs, max_v // vs, wb, hb) - 128
        blocks = plane.reshape(hb, 8, wb, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
        q = _quantize(_fdct(blocks), quant[tq]).reshape(hb, wb, 64)
        coded.append((hs, vs, wb, hb, q[:, :, _ORDER]))
    if progressive:  # libjpeg optimizes the tables of every progressive scan
        first_dht = next(start for marker, _, start, _ in segments if marker == 0xC4)
        header = bytearray(reference[:first_dht])
        sof = next(start for marker, _, start, _ in segments if marker == 0xC0)
        header[sof + 1] = 0xC2
        return _finish(header, segments, density, xmp) + _progressive_body(
            coded, [cp[0] for cp in comps], mcus_x, mcus_y) + b"\xff\xd9"
    tokens = _scan_tokens(*_scan_order(coded, mcus_x, mcus_y))
    if optimize:
        for key in huff:
            huff[key] = _optimal_table(np.bincount(tokens[1][tokens[0] == key], minlength=256).tolist())
    scan = _entropy_bytes(tokens, {key: _codes(*table) for key, table in huff.items()})
    header = bytearray()
    pos = 0
    for marker, body, start, end in segments:
        header += reference[pos:start]
        if marker == 0xC4:  # one table per segment, as libjpeg writes them
            key = body[0]
            counts, values = huff[key]
            body = bytes([key]) + bytes(counts) + bytes(values)
            header += b"\xff\xc4" + struct.pack(">H", len(body) + 2) + body
        else:
            header += reference[start:end]
        pos = end
    return _finish(header, segments, density, xmp) + scan + b"\xff\xd9"


def _finish(header, segments, density, xmp):
    """The header with TF's JFIF density and its XMP segment (after the JFIF one)."""
    header[13:18] = struct.pack(">BHH", *density)
    if xmp:
        payload = b"http://ns.adobe.com/xap/1.0/\0" + (xmp if isinstance(xmp, bytes) else xmp.encode())
        app0_end = segments[0][3]
        header[app0_end:app0_end] = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return bytes(header)
