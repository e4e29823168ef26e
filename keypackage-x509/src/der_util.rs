//! A small DER walker over the `der` crate: one TLV at a time, strict DER
//! (canonical lengths), never a panic and no allocation beyond the input.

use der::asn1::AnyRef;
use der::{Decode, Reader as _, SliceReader, Tag, TagNumber, Tagged};

/// A parse failure, for people: what was being read and why it failed.
pub(crate) type ParseResult<T> = Result<T, String>;

pub(crate) fn fail<T>(what: &str, e: impl std::fmt::Display) -> ParseResult<T> {
    Err(format!("{what}: {e}"))
}

/// Reads consecutive TLVs out of one buffer.
pub(crate) struct Reader<'a> {
    inner: SliceReader<'a>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &str) -> ParseResult<Self> {
        SliceReader::new(bytes)
            .map(|inner| Self { inner })
            .or_else(|e| fail(what, e))
    }

    /// The next TLV, whatever its tag.
    pub(crate) fn any(&mut self, what: &str) -> ParseResult<AnyRef<'a>> {
        if self.inner.is_finished() {
            return Err(format!("{what}: missing"));
        }
        AnyRef::decode(&mut self.inner).or_else(|e| fail(what, e))
    }

    /// The whole encoding (tag, length, value) of the next TLV.
    pub(crate) fn tlv(&mut self, what: &str) -> ParseResult<&'a [u8]> {
        if self.inner.is_finished() {
            return Err(format!("{what}: missing"));
        }
        self.inner.tlv_bytes().or_else(|e| fail(what, e))
    }

    /// The next TLV, which must carry `tag`; returns its value bytes.
    pub(crate) fn expect(&mut self, tag: Tag, what: &str) -> ParseResult<&'a [u8]> {
        let any = self.any(what)?;
        if any.tag() != tag {
            return Err(format!("{what}: expected {tag}, found {}", any.tag()));
        }
        Ok(any.value())
    }

    /// The next TLV if it carries `tag` (an OPTIONAL or DEFAULT field).
    pub(crate) fn optional(&mut self, tag: Tag, what: &str) -> ParseResult<Option<&'a [u8]>> {
        match self.peek_tag() {
            Some(t) if t == tag => self.expect(tag, what).map(Some),
            _ => Ok(None),
        }
    }

    pub(crate) fn peek_tag(&self) -> Option<Tag> {
        if self.inner.is_finished() {
            return None;
        }
        Tag::peek(&self.inner).ok()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.inner.is_finished()
    }

    /// Nothing may follow.
    pub(crate) fn finish(self, what: &str) -> ParseResult<()> {
        if self.inner.is_finished() {
            Ok(())
        } else {
            Err(format!("{what}: trailing data"))
        }
    }
}

/// `[n]` context-specific tag, constructed or primitive.
pub(crate) const fn context(number: u32, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: TagNumber(number),
    }
}

/// The whole encoding (tag, length, value) of the one TLV that `bytes`
/// holds, nothing after it.
pub(crate) fn single_tlv<'a>(bytes: &'a [u8], what: &str) -> ParseResult<&'a [u8]> {
    let mut reader = Reader::new(bytes, what)?;
    let tlv = reader.tlv(what)?;
    reader.finish(what)?;
    Ok(tlv)
}

/// Lower-case hex, for serial numbers and undecodable values.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The dotted form of an OID's value bytes (`2.5.4.3`), or the hex of bytes
/// that are no OID.
pub(crate) fn dotted(value: &[u8]) -> String {
    match const_oid::ObjectIdentifierRef::from_bytes(value) {
        Ok(oid) => oid.to_string(),
        Err(_) => format!("#{}", hex(value)),
    }
}
