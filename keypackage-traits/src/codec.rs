//! The strict variable-length vector codec of RFC 9420 §2.1.2.
//!
//! tls_codec's `mls` feature refuses non-minimal varints, but still reads an
//! 8-byte (`0b11`) prefix and leaves the length-versus-input check to the
//! element loop. These helpers are the one place where MLS vector lengths are
//! read in this workspace:
//!
//! * the two top bits `0b11` are refused (RFC 9420 §2.1.2: "invalid");
//! * a length must use the shortest encoding;
//! * a length larger than the remaining input is refused before anything is
//!   allocated, so a 5-byte input cannot make the decoder reserve a gigabyte;
//! * a vector's elements must consume exactly the declared length.

use std::fmt;

use tls_codec::{DeserializeBytes, Error, Serialize, Size};

/// Largest length a 4-byte varint can express: 2^30 - 1.
pub const MAX_VARINT_LEN: usize = (1 << 30) - 1;

/// Number of bytes of the varint that encodes `len`, or `None` when `len`
/// does not fit in 30 bits.
pub const fn varint_len(len: usize) -> Option<usize> {
    if len < (1 << 6) {
        Some(1)
    } else if len < (1 << 14) {
        Some(2)
    } else if len <= MAX_VARINT_LEN {
        Some(4)
    } else {
        None
    }
}

/// Reads a strict RFC 9420 varint from the front of `bytes`.
pub fn read_varint(bytes: &[u8]) -> Result<(usize, &[u8]), Error> {
    let (&first, rest) = bytes.split_first().ok_or(Error::EndOfStream)?;
    let width = match first >> 6 {
        0 => 1,
        1 => 2,
        2 => 4,
        // 0b11: "invalid" in RFC 9420 §2.1.2.
        _ => return Err(Error::InvalidVectorLength),
    };
    let extra = width - 1;
    if rest.len() < extra {
        return Err(Error::EndOfStream);
    }
    let (tail, remainder) = rest.split_at(extra);
    let mut value = usize::from(first & 0x3F);
    for byte in tail {
        value = (value << 8) | usize::from(*byte);
    }
    if varint_len(value) != Some(width) {
        // Non-minimal encoding (RFC 9420 §2.1.2: "MUST use the smallest").
        return Err(Error::InvalidVectorLength);
    }
    Ok((value, remainder))
}

/// Writes `value` as a minimal RFC 9420 varint.
pub fn write_varint<W: std::io::Write>(value: usize, writer: &mut W) -> Result<usize, Error> {
    let width = varint_len(value).ok_or(Error::InvalidVectorLength)?;
    // `value` fits in 30 bits here, so the casts cannot truncate.
    let bytes: [u8; 4] = match width {
        1 => [value as u8, 0, 0, 0],
        2 => {
            let [a, b] = (value as u16 | 0x4000).to_be_bytes();
            [a, b, 0, 0]
        }
        _ => (value as u32 | 0x8000_0000).to_be_bytes(),
    };
    let out = bytes.get(..width).ok_or(Error::LibraryError)?;
    writer.write_all(out)?;
    Ok(width)
}

/// Splits a length-prefixed body off the front of `bytes`: returns the body
/// and the remainder. Refuses a length larger than the input before any
/// allocation.
pub fn read_prefixed(bytes: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let (len, rest) = read_varint(bytes)?;
    if len > rest.len() {
        return Err(Error::EndOfStream);
    }
    Ok(rest.split_at(len))
}

/// Encoded size of a vector whose body is `body_len` bytes.
pub const fn prefixed_len(body_len: usize) -> usize {
    match varint_len(body_len) {
        Some(n) => n + body_len,
        // Unencodable; serialization reports the error.
        None => body_len,
    }
}

/// `opaque data<V>`: a byte string with a strict varint length prefix.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct VarBytes(pub Vec<u8>);

impl VarBytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for VarBytes {
    fn from(value: Vec<u8>) -> Self {
        Self(value)
    }
}

impl From<&[u8]> for VarBytes {
    fn from(value: &[u8]) -> Self {
        Self(value.to_vec())
    }
}

impl AsRef<[u8]> for VarBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for VarBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

/// Writes `bytes` as lower-case hex.
pub fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

impl Size for VarBytes {
    fn tls_serialized_len(&self) -> usize {
        prefixed_len(self.0.len())
    }
}

impl Serialize for VarBytes {
    fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        let n = write_varint(self.0.len(), writer)?;
        writer.write_all(&self.0)?;
        Ok(n + self.0.len())
    }
}

impl DeserializeBytes for VarBytes {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
        let (body, rest) = read_prefixed(bytes)?;
        Ok((Self(body.to_vec()), rest))
    }
}

/// `T data<V>`: a vector of `T` with a strict varint byte-length prefix.
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct VarVec<T>(pub Vec<T>);

impl<T> Default for VarVec<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> VarVec<T> {
    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// Iterates over the elements.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T> From<Vec<T>> for VarVec<T> {
    fn from(value: Vec<T>) -> Self {
        Self(value)
    }
}

impl<'a, T> IntoIterator for &'a VarVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: fmt::Debug> fmt::Debug for VarVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl<T: Size> VarVec<T> {
    fn body_len(&self) -> usize {
        self.0.iter().map(Size::tls_serialized_len).sum()
    }
}

impl<T: Size> Size for VarVec<T> {
    fn tls_serialized_len(&self) -> usize {
        prefixed_len(self.body_len())
    }
}

impl<T: Serialize> Serialize for VarVec<T> {
    fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        let body = self.body_len();
        let mut written = write_varint(body, writer)?;
        for item in &self.0 {
            written += item.tls_serialize(writer)?;
        }
        Ok(written)
    }
}

impl<T: DeserializeBytes> DeserializeBytes for VarVec<T> {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
        let (mut body, rest) = read_prefixed(bytes)?;
        // Every element of an MLS vector takes at least one byte, so the
        // element count never exceeds the body length: growth is bounded by
        // the input, and no capacity is reserved up front.
        let mut items = Vec::new();
        while !body.is_empty() {
            // The body is complete (its length was checked against the
            // input), so running out of bytes here means an element
            // overruns the vector's declared length: a length error.
            let (item, next) = T::tls_deserialize_bytes(body).map_err(|e| match e {
                Error::EndOfStream => Error::InvalidVectorLength,
                other => other,
            })?;
            if next.len() >= body.len() {
                return Err(Error::DecodingError(
                    "vector element consumed no bytes".into(),
                ));
            }
            items.push(item);
            body = next;
        }
        Ok((Self(items), rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_the_elements_and_debug_lists_them() {
        let bytes = VarBytes::from(&b"ab"[..]);
        assert_eq!(bytes.as_slice(), b"ab");
        assert_eq!(AsRef::<[u8]>::as_ref(&bytes), b"ab");
        let list = VarVec::from(vec![1u16, 2]);
        assert_eq!(list.as_slice(), &[1, 2]);
        assert_eq!(format!("{list:?}"), "[1, 2]");
    }

    #[test]
    fn varint_refuses_0b11_prefix_and_non_minimal_forms() {
        assert_eq!(
            read_varint(&[0xC0, 0, 0, 0, 0, 0, 0, 1]),
            Err(Error::InvalidVectorLength)
        );
        // 5 encoded in two bytes, 63 in two, 16383 in four.
        assert_eq!(read_varint(&[0x40, 0x05]), Err(Error::InvalidVectorLength));
        assert_eq!(read_varint(&[0x40, 0x3F]), Err(Error::InvalidVectorLength));
        assert_eq!(
            read_varint(&[0x80, 0, 0x3F, 0xFF]),
            Err(Error::InvalidVectorLength)
        );
        assert_eq!(read_varint(&[0x40]), Err(Error::EndOfStream));
        assert_eq!(read_varint(&[]), Err(Error::EndOfStream));
    }

    #[test]
    fn varint_boundaries_round_trip() {
        for v in [0usize, 63, 64, 16383, 16384, MAX_VARINT_LEN] {
            let mut out = Vec::new();
            let n = write_varint(v, &mut out).unwrap();
            assert_eq!(n, out.len());
            assert_eq!(Some(n), varint_len(v));
            assert_eq!(read_varint(&out).unwrap(), (v, &[][..]));
        }
        assert!(write_varint(MAX_VARINT_LEN + 1, &mut Vec::new()).is_err());
    }

    #[test]
    fn length_beyond_input_is_refused_before_allocation() {
        // Claims 2^30 - 1 bytes, holds one.
        let input = [0xBF, 0xFF, 0xFF, 0xFF, 0x00];
        assert_eq!(
            VarBytes::tls_deserialize_bytes(&input),
            Err(Error::EndOfStream)
        );
        assert!(VarVec::<u8>::tls_deserialize_bytes(&input).is_err());
    }

    #[test]
    fn an_element_overrunning_its_vector_is_a_length_error() {
        // A vector of u16 whose 3-byte body splits the second element.
        let input = [0x03, 0x00, 0x01, 0x00];
        assert_eq!(
            VarVec::<u16>::tls_deserialize_bytes(&input),
            Err(Error::InvalidVectorLength)
        );
        // A 2-byte body is fine.
        assert!(VarVec::<u16>::tls_deserialize_bytes(&[0x02, 0x00, 0x01]).is_ok());
    }
}
