//! The random bytes httpbin gives for a seed: Python's `random.seed(n)`
//! (MT19937 seeded by `init_by_array`) and `random.randint(0, 255)` per
//! byte, so that `/bytes/{n}?seed=S` and `/stream-bytes/{n}?seed=S` answer
//! the bytes a test suite written against httpbin expects.

/// The Mersenne Twister MT19937, as CPython's `random` module runs it.
pub struct Mt19937 {
    state: [u32; 624],
    index: usize,
}

impl Mt19937 {
    fn init_genrand(s: u32) -> Mt19937 {
        let mut state = [0u32; 624];
        state[0] = s;
        for i in 1..624 {
            state[i] = 1_812_433_253u32
                .wrapping_mul(state[i - 1] ^ (state[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, index: 624 }
    }

    /// `random.seed(seed)` for a non-negative integer: its 32-bit words,
    /// least significant first, as the key of `init_by_array`.
    pub fn python_seed(seed: u64) -> Mt19937 {
        let key: Vec<u32> = if seed >> 32 == 0 {
            vec![seed as u32]
        } else {
            vec![seed as u32, (seed >> 32) as u32]
        };
        let mut mt = Mt19937::init_genrand(19_650_218);
        let s = &mut mt.state;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..624.max(key.len()) {
            s[i] = (s[i] ^ (s[i - 1] ^ (s[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= 624 {
                s[0] = s[623];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..623 {
            s[i] = (s[i] ^ (s[i - 1] ^ (s[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= 624 {
                s[0] = s[623];
                i = 1;
            }
        }
        s[0] = 0x8000_0000;
        mt
    }

    fn twist(&mut self) {
        for i in 0..624 {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % 624] & 0x7fff_ffff);
            let mut next = self.state[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                next ^= 0x9908_b0df;
            }
            self.state[i] = next;
        }
        self.index = 0;
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random.randint(0, 255)`: `getrandbits(9)` until below 256, as
    /// CPython's `_randbelow` draws it.
    pub fn byte(&mut self) -> u8 {
        loop {
            let r = self.next_u32() >> (32 - 9);
            if r < 256 {
                return r as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Mt19937;

    #[test]
    fn the_bytes_python_gives_for_a_seed() {
        // `random.seed(0); bytes(random.randint(0, 255) for _ in range(10))`
        // in CPython 3, the bytes httpbin's own test expects.
        let mut mt = Mt19937::python_seed(0);
        let got: Vec<u8> = (0..10).map(|_| mt.byte()).collect();
        assert_eq!(got, b"\xc5\xd7\x14\x84\xf8\xcf\x9b\xf4\xb7o");
        // A seed wider than 32 bits: `random.seed(2**40 + 7)`.
        let mut mt = Mt19937::python_seed((1 << 40) + 7);
        let got: Vec<u8> = (0..5).map(|_| mt.byte()).collect();
        assert_eq!(got, [243, 128, 64, 192, 185]);
    }

    #[test]
    fn the_reference_outputs_of_mt19937() {
        // `random.seed(5489)` is not init_genrand(5489), but the generator
        // itself is checked against the reference implementation's first
        // output for init_genrand(5489).
        let mut mt = Mt19937::init_genrand(5489);
        assert_eq!(mt.next_u32(), 3_499_211_612);
    }
}
