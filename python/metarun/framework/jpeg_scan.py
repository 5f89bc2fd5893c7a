"""How many rows TF's JPEG decoder delivers from a truncated baseline file.

TF's memory source returns "no more data" (libjpeg's suspension) when a file ends early and
try_recover_truncated is off; jpeg_read_scanlines then returns 0 and TF keeps the rows read so
far when acceptable_fraction allows. Which rows those are follows from libjpeg-turbo's Huffman
decoder: an MCU is decoded whole or not at all, and the decoder suspends as soon as a refill
of its bit buffer (to 57 bits, one byte at a time, in the careful path it takes when fewer
than 512 bytes per block of the MCU remain) meets the end of the data, even if the MCU's own
bits are all there. Rows come out per iMCU row, less the row group that h2v2 fancy upsampling
holds back for context. This module walks the scan's Huffman codes (no IDCT) to find that
point; it covers sequential Huffman scans without restart intervals and returns None for the
others.
"""

import struct

import numpy as np

_MIN_GET_BITS = 57


def _tables(body, out):
    pos = 0
    while pos + 17 <= len(body):
        key = body[pos]
        counts = body[pos + 1:pos + 17]
        n = sum(counts)
        values = body[pos + 17:pos + 17 + n]
        if len(values) < n:
            return
        lookup_value = np.zeros(1 << 16, np.int64)
        lookup_length = np.full(1 << 16, 17, np.int64)  # an invalid code: libjpeg reads 17 bits, returns 0
        code, k = 0, 0
        for length in range(1, 17):
            for _ in range(counts[length - 1]):
                lo = code << (16 - length)
                hi = (code + 1) << (16 - length)
                lookup_value[lo:hi] = values[k]
                lookup_length[lo:hi] = length
                code += 1
                k += 1
            code <<= 1
        out[key] = (lookup_value.tolist(), lookup_length.tolist())
        pos += 17 + n


def _parse(data):
    """(frame components, Huffman tables, scan selectors, entropy data start) or None."""
    pos, tables, frame, restart = 2, {}, None, 0
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length, = struct.unpack(">H", data[pos + 2:pos + 4])
        body = data[pos + 4:pos + 2 + length]
        if marker in (0xC0, 0xC1):
            frame = [(body[6 + 3 * i], body[7 + 3 * i] >> 4, body[7 + 3 * i] & 15) for i in range(body[5])]
        elif 0xC2 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return None  # progressive, lossless or arithmetic coding
        elif marker == 0xC4:
            _tables(body, tables)
        elif marker == 0xDD:
            restart, = struct.unpack(">H", body[:2])
        elif marker == 0xDA:
            count = body[0]
            selectors = {body[1 + 2 * i]: body[2 + 2 * i] for i in range(count)}
            ss, se, a = body[1 + 2 * count:4 + 2 * count]
            if frame is None or restart or (ss, se, a) != (0, 63, 0) or count != len(frame):
                return None
            return frame, tables, selectors, pos + 2 + length
        pos += 2 + length
    return None


def _unstuffed(entropy):
    """The scan's data bytes (stuffed zeros dropped), the source length each prefix takes, and
    whether a marker ends them (then libjpeg pads with zeros and never suspends)."""
    raw = np.frombuffer(entropy, np.uint8)
    ff = np.nonzero(raw == 0xFF)[0]
    keep = np.ones(len(raw), bool)
    end, marker = len(raw), False
    for i in ff.tolist():
        if i >= end:
            break
        if i + 1 >= len(raw):
            end = i  # a lone 0xFF at the end: libjpeg waits for the byte after it
            break
        if raw[i + 1] == 0:
            keep[i + 1] = False
        else:
            end, marker = i, True
            break
    kept = np.nonzero(keep[:end])[0]
    source_end = np.empty(len(kept) + 1, np.int64)
    source_end[0] = 0
    source_end[1:] = kept + 1
    stuffed = raw[kept] == 0xFF
    source_end[1:][stuffed] += 1
    return raw[kept].tobytes(), source_end, marker


class _Reader(object):
    """libjpeg-turbo's bit buffer over the scan: `loaded` bytes in it, `used` bits taken."""

    def __init__(self, data, source_end):
        self.data, self.source_end = data, source_end
        self.loaded = self.used = 0

    def left(self):
        return self.loaded * 8 - self.used

    def fill(self):
        """The careful path's refill: False when the data ends first (libjpeg suspends)."""
        while self.left() < _MIN_GET_BITS:
            if self.loaded == len(self.data):
                return False
            self.loaded += 1
        return True

    def peek16(self):
        byte, bit = divmod(self.used, 8)
        chunk = self.data[byte:byte + 3].ljust(3, b"\0")
        return (int.from_bytes(chunk, "big") >> (8 - bit)) & 0xFFFF

    def fast_fill(self):
        if self.left() <= 16:
            self.loaded += 6

    def symbol(self, table, fast):
        if fast:
            self.fast_fill()
        elif self.left() < 8 and not self.fill():
            return None
        code = self.peek16()
        value, length = table[0][code], table[1][code]
        if fast or length <= 8:
            self.used += length
            return value
        # A code longer than the 8-bit lookahead: 9 bits, then one at a time, each read refilling
        # the buffer when it is empty (jpeg_huff_decode).
        if self.left() < 9 and not self.fill():
            return None
        self.used += 9
        for _ in range(length - 9):
            if self.left() < 1 and not self.fill():
                return None
            self.used += 1
        return value

    def bits(self, n, fast):
        if fast:
            self.fast_fill()
        elif self.left() < n and not self.fill():
            return False
        self.used += n
        return True


def _mcu(reader, blocks, tables, fast):
    """Walks one MCU; False when the decoder would suspend in it."""
    for dc_table, ac_table in blocks:
        s = reader.symbol(dc_table, fast)
        if s is None or (s and not reader.bits(s, fast)):
            return False
        k = 1
        while k < 64:
            rs = reader.symbol(ac_table, fast)
            if rs is None:
                return False
            r, s = rs >> 4, rs & 15
            if s:
                k += r
                if not reader.bits(s, fast):
                    return False
            elif r != 15:
                break
            else:
                k += 15
            k += 1
    return True


def rows_read(data, height, width, ratio, fancy):
    """Output rows TF's decoder delivers before suspending on truncated `data` (a file
    simplejpeg found to end early), or None for files this model does not cover."""
    try:
        return _rows_read(data, height, width, ratio, fancy)
    except (IndexError, KeyError, struct.error):  # a header libjpeg accepted but this reading does not
        return None


def _rows_read(data, height, width, ratio, fancy):
    parsed = _parse(data)
    if parsed is None:
        return None
    frame, tables, selectors, start = parsed
    entropy, source_end, marker = _unstuffed(data[start:])
    out_height = -(-height // ratio)
    if marker:
        return out_height
    max_h = max(h for _, h, _ in frame)
    max_v = max(v for _, _, v in frame)
    try:
        blocks = []
        for cid, h, v in frame:
            sel = selectors[cid]
            blocks += [(tables[sel >> 4], tables[0x10 | (sel & 15)])] * (h * v if len(frame) > 1 else 1)
    except KeyError:
        return None
    if len(frame) > 1:
        per_row, total_rows = -(-width // (8 * max_h)), -(-height // (8 * max_v))
        imcu_height = max_v * 8 // ratio
    else:
        per_row, total_rows = -(-width // 8), -(-height // 8)
        imcu_height = 8 // ratio
    reader = _Reader(entropy, source_end)
    budget = 512 * len(blocks)
    done = 0
    while done < per_row * total_rows:
        saved = reader.loaded, reader.used
        fast = len(data) - start - int(source_end[reader.loaded]) >= budget
        if not _mcu(reader, blocks, tables, fast):
            break
        if fast and reader.loaded > len(entropy):  # the fast path met the data's end: redo carefully
            reader.loaded, reader.used = saved
            if not _mcu(reader, blocks, tables, False):
                break
        done += 1
    complete = done // per_row
    if complete >= total_rows:
        return out_height
    rows = complete * imcu_height
    if fancy and ratio == 1 and len(frame) == 3 and max_v == 2 and all(h == v == 1 for _, h, v in frame[1:]):
        rows -= max_v  # the row group h2v2 fancy upsampling keeps until the next iMCU row comes
    return max(0, min(rows, out_height))
