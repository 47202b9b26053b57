//! fdeflate's zlib stream for a PNG's rows, cheaply for rows that repeat.
//!
//! The image crate compresses PNG rows with `fdeflate::Compressor`: one
//! dynamic-Huffman block with a fixed code table (which it writes as the
//! block header), each `write_data` call split into 8-byte chunks, runs of
//! zero bytes sent as a literal 0 followed by distance-1 copies, everything
//! else as literals, then the end-of-block code and the Adler-32 checksum.
//!
//! A QR image is mostly rows identical to the row above, which the Up filter
//! turns into a filter byte and zeros. [`RowCompressor`] writes the same bits
//! as fdeflate for any row, records them once for such a repeated row and
//! replays them (with the checksum of zeros computed, not summed) for every
//! other. The code table is not copied from fdeflate: it is read out of the
//! header fdeflate itself writes, decoded as RFC 1951 says. Tests compare the
//! output with fdeflate's on many row sequences.

use std::sync::OnceLock;

use simd_adler32::Adler32;

/// Adler-32's modulus (RFC 1950, section 8.2).
const ADLER_MODULUS: u64 = 65_521;
/// The literal/length alphabet: 256 literals, end of block, 29 length codes (RFC 1951, 3.2.5).
const LITERAL_LENGTH_SYMBOLS: usize = 286;
const END_OF_BLOCK: usize = 256;
/// The longest copy one length code can send.
const MAX_COPY: u32 = 258;

/// Writes fdeflate's stream for the rows given to it.
pub(super) struct RowCompressor {
    bits: BitWriter,
    checksum: Adler32,
    codes: &'static Codes,
    /// The bits of the last repeated row written.
    repeated: Option<RecordedRow>,
}

/// A repeated row's bits, recorded once to be replayed.
struct RecordedRow {
    /// The row's length and filter byte.
    shape: (usize, u8),
    /// Its bits, in pieces of at most 56.
    bits: Vec<(u64, u32)>,
}

impl RowCompressor {
    /// A stream with the zlib and block headers written.
    pub(super) fn new() -> Result<RowCompressor, String> {
        let codes = Codes::get()?;
        let mut bits = BitWriter::default();
        bits.out.extend_from_slice(&codes.header_bytes);
        bits.write(codes.header_tail.0, codes.header_tail.1);
        Ok(RowCompressor {
            bits,
            checksum: Adler32::new(),
            codes,
            repeated: None,
        })
    }

    /// The same as `fdeflate::Compressor::write_data(row)`.
    pub(super) fn write_row(&mut self, row: &[u8]) {
        self.checksum.write(row);
        tokens(row, self.codes, &mut self.bits);
    }

    /// The same as [`Self::write_row`] with `filter` followed by `len - 1` zeros.
    pub(super) fn write_repeated_row(&mut self, filter: u8, len: usize) {
        let codes = self.codes;
        let shape = (len, filter);
        let recorded = match &self.repeated {
            Some(recorded) if recorded.shape == shape => recorded,
            _ => {
                let mut row = vec![0u8; len];
                if let Some(first) = row.first_mut() {
                    *first = filter;
                }
                let mut recorder = Recorder::default();
                tokens(&row, codes, &mut recorder);
                self.repeated.insert(RecordedRow {
                    shape,
                    bits: recorder.0,
                })
            }
        };
        for &(value, count) in &recorded.bits {
            self.bits.write(value, count);
        }
        if len > 0 {
            self.checksum_repeated(filter, len);
        }
    }

    /// The end-of-block code, padding to a byte, and the Adler-32 checksum.
    pub(super) fn finish(mut self) -> Vec<u8> {
        let (code, length) = self.codes.literal[END_OF_BLOCK];
        self.bits.write(code, length);
        let mut out = self.bits.flush();
        out.extend_from_slice(&self.checksum.finish().to_be_bytes());
        out
    }

    /// Adds `filter` and `len - 1` zero bytes to the checksum. Of its two
    /// sums (RFC 1950, 8.2), the first gains `filter`, and the second gains
    /// the new first once per byte.
    fn checksum_repeated(&mut self, filter: u8, len: usize) {
        let checksum = self.checksum.finish();
        let (a, b) = (u64::from(checksum & 0xFFFF), u64::from(checksum >> 16));
        let a = (a + u64::from(filter)) % ADLER_MODULUS;
        let b = (b + (len as u64 % ADLER_MODULUS) * a) % ADLER_MODULUS;
        // Both sums are below 65 521, so they fit their 16 bits.
        self.checksum = Adler32::from_checksum((b as u32) << 16 | a as u32);
    }
}

/// Where tokens' bits go.
trait BitSink {
    /// Appends the low `count` bits of `value`, least significant first.
    fn write(&mut self, value: u64, count: u32);
}

/// Bits packed into bytes, least significant bit first (RFC 1951, 3.1.1).
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    buffer: u64,
    count: u32,
}

impl BitSink for BitWriter {
    fn write(&mut self, value: u64, count: u32) {
        if count == 0 {
            return;
        }
        self.buffer |= value << self.count;
        let total = self.count + count;
        if total >= 64 {
            self.out.extend_from_slice(&self.buffer.to_le_bytes());
            let kept = total - 64;
            // The bits of `value` that did not fit (none when it just filled the buffer).
            self.buffer = if kept == 0 {
                0
            } else {
                value >> (count - kept)
            };
            self.count = kept;
        } else {
            self.count = total;
        }
    }
}

impl BitWriter {
    /// The bytes, the last one padded with zero bits.
    fn flush(mut self) -> Vec<u8> {
        let bytes = self.count.div_ceil(8) as usize;
        self.out
            .extend_from_slice(&self.buffer.to_le_bytes()[..bytes]);
        self.out
    }
}

/// Bits kept as a list to be replayed, joined into pieces of up to 56 bits.
#[derive(Default)]
struct Recorder(Vec<(u64, u32)>);

impl BitSink for Recorder {
    fn write(&mut self, value: u64, count: u32) {
        match self.0.last_mut() {
            Some((bits, length)) if *length + count <= 56 => {
                *bits |= value << *length;
                *length += count;
            }
            _ => self.0.push((value, count)),
        }
    }
}

/// fdeflate's tokens for one `write_data(data)` call: within each 8-byte
/// chunk, zero bytes continuing a run extend it, a run ends at the chunk's
/// first non-zero byte, and zeros ending a chunk start the next run; runs
/// still open at the end of the call are written before the last 0–7 bytes,
/// which are always literals.
fn tokens(data: &[u8], codes: &Codes, sink: &mut impl BitSink) {
    let literal = |sink: &mut _, byte: u8| {
        let (code, length) = codes.literal[usize::from(byte)];
        BitSink::write(sink, code, length);
    };
    let mut run = 0u32;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let word = u64::from_le_bytes(bytes);
        if word == 0 {
            run += 8;
            continue;
        }
        let leading_zero_bytes = word.trailing_zeros() / 8;
        let trailing_zero_bytes = word.leading_zeros() / 8;
        let mut first_literal = 0;
        if run > 0 {
            write_run(run + leading_zero_bytes, codes, sink);
            first_literal = leading_zero_bytes as usize;
        }
        let literals_end = 8 - trailing_zero_bytes as usize;
        for &byte in &chunk[first_literal..literals_end] {
            literal(sink, byte);
        }
        run = trailing_zero_bytes;
    }
    if run > 0 {
        write_run(run, codes, sink);
    }
    for &byte in chunks.remainder() {
        literal(sink, byte);
    }
}

/// `run` zero bytes: a literal 0, then copies of it at distance 1, at most
/// 258 bytes each; a tail of 1 to 4 bytes is sent as literal zeros instead.
fn write_run(run: u32, codes: &Codes, sink: &mut impl BitSink) {
    let (zero, zero_length) = codes.literal[0];
    sink.write(zero, zero_length);
    let mut left = run - 1;
    while left >= MAX_COPY {
        let (bits, length) = codes.copy[MAX_COPY as usize];
        sink.write(bits, length);
        left -= MAX_COPY;
    }
    if left > 4 {
        let (bits, length) = codes.copy[left as usize];
        sink.write(bits, length);
    } else {
        for _ in 0..left {
            sink.write(zero, zero_length);
        }
    }
}

/// The length code for a copy of `length` bytes (3 to 257): its symbol,
/// extra bits and base length (RFC 1951, 3.2.5).
fn length_symbol(length: u32) -> (usize, u32, u32) {
    if length <= 10 {
        return (254 + length as usize, 0, length);
    }
    // Codes 265 to 284 come in groups of four per number of extra bits.
    let mut base = 11;
    let mut symbol = 265;
    for extra_bits in 1..=5u32 {
        for _ in 0..4 {
            let span = 1 << extra_bits;
            if length < base + span || symbol == 284 {
                return (symbol, extra_bits, base);
            }
            base += span;
            symbol += 1;
        }
    }
    (284, 5, 227)
}

/// fdeflate's fixed code table, read from the stream it writes.
struct Codes {
    /// Every literal/length symbol's code, bit-reversed for LSB-first
    /// writing, and its length in bits.
    literal: [(u64, u32); LITERAL_LENGTH_SYMBOLS],
    /// For each copy length 3 to 258 at distance 1: its length code, extra
    /// bits and distance code, as one string of bits.
    copy: Vec<(u64, u32)>,
    /// The stream's first whole bytes: zlib header and block header.
    header_bytes: Vec<u8>,
    /// The block header's last bits, which do not fill a byte.
    header_tail: (u64, u32),
}

impl Codes {
    fn get() -> Result<&'static Codes, String> {
        static CODES: OnceLock<Result<Codes, String>> = OnceLock::new();
        CODES
            .get_or_init(Codes::from_fdeflate)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Compresses nothing with fdeflate and decodes the header it wrote.
    fn from_fdeflate() -> Result<Codes, String> {
        let io = |error: std::io::Error| error.to_string();
        let empty = fdeflate::Compressor::new(Vec::new())
            .map_err(io)?
            .finish()
            .map_err(io)?;
        let mut reader = BitReader::new(empty.get(2..).ok_or("no zlib header")?);
        let header = reader.read(1)? == 1 && reader.read(2)? == 2;
        if !header {
            return Err("fdeflate's stream does not open with one dynamic block".into());
        }
        let literal_count = reader.read(5)? as usize + 257;
        let distance_count = reader.read(5)? as usize + 1;
        let code_length_count = reader.read(4)? as usize + 4;
        // The order code-length code lengths are sent in (RFC 1951, 3.2.7).
        const ORDER: [usize; 19] = [
            16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
        ];
        let mut code_length_lengths = [0u8; 19];
        for &symbol in ORDER.iter().take(code_length_count) {
            code_length_lengths[symbol] = reader.read(3)? as u8;
        }
        let code_length_code = canonical(&code_length_lengths);
        let mut lengths = Vec::with_capacity(literal_count + distance_count);
        while lengths.len() < literal_count + distance_count {
            match reader.symbol(&code_length_code)? {
                length @ 0..=15 => lengths.push(length as u8),
                16 => {
                    let previous = *lengths.last().ok_or("a repeat with nothing before it")?;
                    let times = 3 + reader.read(2)?;
                    lengths.extend(std::iter::repeat_n(previous, times as usize));
                }
                17 => {
                    let times = 3 + reader.read(3)?;
                    lengths.extend(std::iter::repeat_n(0, times as usize));
                }
                _ => {
                    let times = 11 + reader.read(7)?;
                    lengths.extend(std::iter::repeat_n(0, times as usize));
                }
            }
        }
        let (literal_lengths, distance_lengths) = lengths.split_at(literal_count);
        let literal_codes = canonical(literal_lengths);
        let distance_codes = canonical(&distance_lengths[..distance_count]);
        let mut literal = [(0, 0); LITERAL_LENGTH_SYMBOLS];
        for (slot, &(code, length)) in literal.iter_mut().zip(&literal_codes) {
            *slot = (reversed(code, length), length);
        }
        let (code, length) = *distance_codes.first().ok_or("no distance codes")?;
        let distance_one = (reversed(code, length), length);
        let copy = (0..=MAX_COPY)
            .map(|copy_length| copy_bits(copy_length, &literal, distance_one))
            .collect();
        let consumed = reader.position + 16; // plus the two zlib header bytes
        let ended_early = || "fdeflate's stream ended inside its header".to_owned();
        let header_bytes = empty.get(..consumed / 8).ok_or_else(ended_early)?.to_vec();
        let tail_bits = (consumed % 8) as u32;
        let last = *empty.get(consumed / 8).ok_or_else(ended_early)?;
        let tail = u64::from(last) & ((1 << tail_bits) - 1);
        Ok(Codes {
            literal,
            copy,
            header_bytes,
            header_tail: (tail, tail_bits),
        })
    }
}

/// The bits of a copy of `copy_length` bytes at distance 1 (none below 3).
fn copy_bits(
    copy_length: u32,
    literal: &[(u64, u32); LITERAL_LENGTH_SYMBOLS],
    distance_one: (u64, u32),
) -> (u64, u32) {
    if copy_length < 3 {
        return (0, 0);
    }
    let (symbol, extra_bits, base) = if copy_length == MAX_COPY {
        (285, 0, MAX_COPY)
    } else {
        length_symbol(copy_length)
    };
    let (code, code_length) = literal[symbol];
    let (distance, distance_length) = distance_one;
    let bits = code
        | u64::from(copy_length - base) << code_length
        | distance << (code_length + extra_bits);
    (bits, code_length + extra_bits + distance_length)
}

/// Canonical Huffman codes for code lengths (RFC 1951, 3.2.2), most significant bit first.
fn canonical(lengths: &[u8]) -> Vec<(u64, u32)> {
    let mut count_per_length = [0u64; 16];
    for &length in lengths {
        count_per_length[usize::from(length)] += 1;
    }
    count_per_length[0] = 0;
    let mut next_code = [0u64; 16];
    let mut code = 0;
    for bits in 1..16 {
        code = (code + count_per_length[bits - 1]) << 1;
        next_code[bits] = code;
    }
    lengths
        .iter()
        .map(|&length| {
            let length = usize::from(length);
            if length == 0 {
                return (0, 0);
            }
            let code = next_code[length];
            next_code[length] += 1;
            (code, length as u32)
        })
        .collect()
}

/// `code`'s low `length` bits in reverse order: Huffman codes go out most significant bit first.
fn reversed(code: u64, length: u32) -> u64 {
    if length == 0 {
        return 0;
    }
    code.reverse_bits() >> (64 - length)
}

/// Reads an LSB-first bit stream.
struct BitReader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, position: 0 }
    }

    fn bit(&mut self) -> Result<u64, String> {
        let byte = self
            .bytes
            .get(self.position / 8)
            .ok_or("fdeflate's header ended early")?;
        let bit = u64::from(byte >> (self.position % 8) & 1);
        self.position += 1;
        Ok(bit)
    }

    /// A `count`-bit number, least significant bit first.
    fn read(&mut self, count: u32) -> Result<u64, String> {
        (0..count).try_fold(0, |value, shift| Ok(value | self.bit()? << shift))
    }

    /// The next symbol of `code`, read a bit at a time, most significant first.
    fn symbol(&mut self, code: &[(u64, u32)]) -> Result<usize, String> {
        let (mut value, mut length) = (0, 0);
        while length < 16 {
            value = value << 1 | self.bit()?;
            length += 1;
            if let Some(symbol) = code.iter().position(|&entry| entry == (value, length)) {
                return Ok(symbol);
            }
        }
        Err("fdeflate's header has a code that is not in its table".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn fdeflate_of(rows: &[Vec<u8>]) -> Vec<u8> {
        let mut compressor = fdeflate::Compressor::new(Vec::new()).expect("starts");
        for row in rows {
            compressor.write_data(row).expect("writes");
        }
        compressor.finish().expect("finishes")
    }

    fn ours_of(rows: &[Vec<u8>]) -> Vec<u8> {
        let mut compressor = RowCompressor::new().expect("starts");
        for row in rows {
            let repeated = row.len() > 1 && row[1..].iter().all(|&byte| byte == 0);
            match (repeated, row.first()) {
                (true, Some(&filter)) => compressor.write_repeated_row(filter, row.len()),
                _ => compressor.write_row(row),
            }
        }
        compressor.finish()
    }

    #[test]
    fn length_codes_follow_the_rfc_table() {
        assert_eq!(length_symbol(3), (257, 0, 3));
        assert_eq!(length_symbol(10), (264, 0, 10));
        assert_eq!(length_symbol(11), (265, 1, 11));
        assert_eq!(length_symbol(12), (265, 1, 11));
        assert_eq!(length_symbol(13), (266, 1, 13));
        assert_eq!(length_symbol(19), (269, 2, 19));
        assert_eq!(length_symbol(130), (280, 4, 115));
        assert_eq!(length_symbol(227), (284, 5, 227));
        assert_eq!(length_symbol(257), (284, 5, 227));
    }

    #[test]
    fn the_stream_matches_fdeflate_on_runs_literals_and_repeats() {
        let mut rng = StdRng::seed_from_u64(0x9E37_79B9);
        let mut next = move || rng.random::<u32>();
        for case in 0..400 {
            let len = 1 + (next() as usize % 700);
            let mut rows = Vec::new();
            for _ in 0..(1 + next() % 12) {
                let row: Vec<u8> = match next() % 4 {
                    // A filter byte then zeros, as repeated image rows are.
                    0 => std::iter::once((next() % 5) as u8)
                        .chain(std::iter::repeat_n(0, len - 1))
                        .collect(),
                    // Sparse: long zero runs broken by a few bytes.
                    1 => (0..len)
                        .map(|_| if next() % 40 == 0 { next() as u8 } else { 0 })
                        .collect(),
                    // Dense, and runs of every length around the chunk size.
                    2 => (0..len).map(|_| next() as u8).collect(),
                    _ => {
                        let mut row = Vec::with_capacity(len);
                        while row.len() < len {
                            let zeros = (next() % 300) as usize;
                            row.extend(std::iter::repeat_n(0, zeros));
                            row.push(1 + (next() % 255) as u8);
                        }
                        row.truncate(len);
                        row
                    }
                };
                rows.push(row);
            }
            assert_eq!(ours_of(&rows), fdeflate_of(&rows), "case {case}: {rows:?}");
        }
    }

    #[test]
    fn an_empty_stream_matches_fdeflate() {
        assert_eq!(ours_of(&[]), fdeflate_of(&[]));
        assert_eq!(ours_of(&[vec![]]), fdeflate_of(&[vec![]]));
    }
}
