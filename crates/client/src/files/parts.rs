//! The size rules of core.telegram.org/api/files, as arithmetic: how a file is cut into upload
//! parts and which byte ranges `upload.getFile` may be asked for.

use std::ops::Range;

use super::FileError;

const KIB: usize = 1024;
/// The largest upload part and the default part size.
pub(crate) const MAX_PART_SIZE: usize = 512 * KIB;
/// Files above this many bytes must be uploaded with `upload.saveBigFilePart`.
pub(crate) const BIG_FILE_THRESHOLD: u64 = 10 * 1024 * 1024;
/// The most parts a file may have (8000 for premium accounts, 4000 for others: the server says
/// which applies with `FILE_PARTS_INVALID`).
pub(crate) const MAX_PARTS: u64 = 8000;
/// The largest `limit` of one `upload.getFile`, and the boundary no range may cross.
pub(crate) const MAX_REQUEST_SIZE: usize = 1024 * KIB;

/// Whether `size` may be the size of every upload part but the last: a multiple of 1 KiB that
/// divides 512 KiB.
pub(crate) fn valid_part_size(size: usize) -> bool {
    size > 0 && size % KIB == 0 && MAX_PART_SIZE % size == 0
}

/// Whether `size` may be the `limit` of every `upload.getFile` of a download: a multiple of
/// 4 KiB that divides 1 MiB (so that aligned ranges never cross a 1 MiB boundary).
pub(crate) fn valid_request_size(size: usize) -> bool {
    size > 0 && size % (4 * KIB) == 0 && MAX_REQUEST_SIZE % size == 0
}

/// How one upload is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UploadPlan {
    /// Bytes per part (the last part may be shorter).
    pub(crate) part_size: usize,
    /// Number of parts.
    pub(crate) parts: u32,
    /// `upload.saveBigFilePart` / `inputFileBig` instead of the small-file pair.
    pub(crate) big: bool,
}

/// Cuts `size` bytes into parts of `part_size`.
pub(crate) fn plan_upload(size: u64, part_size: usize) -> Result<UploadPlan, FileError> {
    if !valid_part_size(part_size) {
        return Err(FileError::InvalidArgument(format!(
            "part size {part_size} is not a multiple of 1 KiB dividing 512 KiB"
        )));
    }
    if size == 0 {
        return Err(FileError::Empty);
    }
    let parts = size.div_ceil(part_size as u64);
    if parts > MAX_PARTS {
        return Err(FileError::TooLarge { size });
    }
    Ok(UploadPlan {
        part_size,
        parts: parts as u32,
        big: size > BIG_FILE_THRESHOLD,
    })
}

/// The byte range of a download, cut into aligned requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DownloadPlan {
    /// Offset of the first request (the wanted offset rounded down to `request_size`).
    pub(crate) first: u64,
    /// Bytes of the first request's answer to skip.
    pub(crate) skip: usize,
    /// Where the wanted bytes end, when known (file size or offset + limit).
    pub(crate) end: Option<u64>,
    /// Bytes per request.
    pub(crate) request_size: usize,
}

impl DownloadPlan {
    /// Plans bytes `offset..offset + limit` of a file of `size` bytes (either may be unknown).
    pub(crate) fn new(
        offset: u64,
        limit: Option<u64>,
        size: Option<u64>,
        request_size: usize,
    ) -> Result<Self, FileError> {
        if !valid_request_size(request_size) {
            return Err(FileError::InvalidArgument(format!(
                "request size {request_size} is not a multiple of 4 KiB dividing 1 MiB"
            )));
        }
        let step = request_size as u64;
        let first = offset - offset % step;
        let wanted_end = limit.map(|limit| offset.saturating_add(limit));
        let end = match (wanted_end, size) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(DownloadPlan {
            first,
            skip: (offset - first) as usize,
            end,
            request_size,
        })
    }

    /// The offsets of the requests, in order (endless when the end is unknown: the download
    /// stops at the first short answer).
    pub(crate) fn offsets(&self) -> impl Iterator<Item = u64> + Send + 'static {
        let (step, end, first) = (self.request_size as u64, self.end, self.first);
        (0u64..)
            .map(move |k| first + k * step)
            .take_while(move |offset| end.is_none_or(|end| *offset < end))
    }

    /// Trims the answer for the request at `offset` to the wanted bytes.
    pub(crate) fn trim(&self, offset: u64, mut chunk: Chunk) -> Chunk {
        if let Some(end) = self.end {
            let keep = end.saturating_sub(offset).min(chunk.len() as u64) as usize;
            chunk.range.end = chunk.range.start + keep;
        }
        if offset == self.first && self.skip > 0 {
            chunk.range.start += self.skip.min(chunk.len());
        }
        chunk
    }
}

/// The bytes of one download answer, where they lie in the buffer they arrived in (an
/// `upload.file` is not copied out of its encoding: its bytes are written from here).
#[derive(Debug)]
pub(crate) struct Chunk {
    buf: Vec<u8>,
    range: Range<usize>,
}

impl Chunk {
    /// All of `buf`.
    pub(crate) fn whole(buf: Vec<u8>) -> Self {
        let range = 0..buf.len();
        Chunk { buf, range }
    }

    /// `range` of `buf` (clamped to it).
    pub(crate) fn within(buf: Vec<u8>, range: Range<usize>) -> Self {
        let end = range.end.min(buf.len());
        let start = range.start.min(end);
        Chunk {
            buf,
            range: start..end,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.range.len()
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[self.range.clone()]
    }

    /// The bytes as a vector of their own (moved to the front of the buffer, which is kept).
    pub(crate) fn into_vec(self) -> Vec<u8> {
        let Chunk { mut buf, range } = self;
        buf.truncate(range.end);
        buf.drain(..range.start);
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_follow_the_rules() {
        for ok in [1024, 2048, 4096, 65_536, 131_072, 524_288] {
            assert!(valid_part_size(ok), "{ok}");
        }
        for bad in [0, 1000, 3072, 1_048_576, 524_289] {
            assert!(!valid_part_size(bad), "{bad}");
        }
        assert!(valid_request_size(4096) && valid_request_size(1_048_576));
        assert!(!valid_request_size(1024) && !valid_request_size(12_288));
    }

    #[test]
    fn uploads_switch_to_big_parts_above_ten_mib() {
        let ten = 10 * 1024 * 1024;
        let small = plan_upload(ten, MAX_PART_SIZE).unwrap();
        assert_eq!((small.parts, small.big), (20, false));
        let big = plan_upload(ten + 1, MAX_PART_SIZE).unwrap();
        assert_eq!((big.parts, big.big), (21, true));
        assert_eq!(plan_upload(1, MAX_PART_SIZE).unwrap().parts, 1);
        assert_eq!(plan_upload(524_288, MAX_PART_SIZE).unwrap().parts, 1);
        assert_eq!(plan_upload(524_289, MAX_PART_SIZE).unwrap().parts, 2);
        assert!(matches!(
            plan_upload(0, MAX_PART_SIZE),
            Err(FileError::Empty)
        ));
        assert!(matches!(
            plan_upload(8001 * 524_288, MAX_PART_SIZE),
            Err(FileError::TooLarge { .. })
        ));
        assert!(plan_upload(10, 1000).is_err());
    }

    #[test]
    fn download_ranges_are_aligned_and_trimmed() {
        let plan = DownloadPlan::new(5000, Some(10_000), Some(1 << 20), 4096).unwrap();
        assert_eq!((plan.first, plan.skip, plan.end), (4096, 904, Some(15_000)));
        let offsets: Vec<u64> = plan.offsets().collect();
        assert_eq!(offsets, [4096, 8192, 12_288]);
        let first: Vec<u8> = (0..4096u32).map(|i| i as u8).collect();
        let trimmed = plan.trim(4096, Chunk::whole(first.clone()));
        assert_eq!(trimmed.bytes(), &first[904..]);
        assert_eq!(trimmed.into_vec(), &first[904..]);
        let last = plan.trim(12_288, Chunk::whole(vec![0; 4096]));
        assert_eq!(last.len(), 15_000 - 12_288);
        // A chunk inside a larger buffer keeps its place through trimming.
        let inner = Chunk::within(first.clone(), 16..16 + 3000);
        let cut = plan.trim(12_288, inner);
        assert_eq!(cut.bytes(), &first[16..16 + 2712]);
        assert_eq!(Chunk::within(vec![1, 2, 3], 2..9).bytes(), &[3]);
        // Unknown size: endless offsets, cut by the caller at the first short answer.
        let open = DownloadPlan::new(0, None, None, 1 << 20).unwrap();
        assert_eq!(open.offsets().take(3).last(), Some(2 << 20));
        assert!(DownloadPlan::new(0, None, None, 1000).is_err());
        // Nothing wanted: no request.
        let empty = DownloadPlan::new(0, None, Some(0), 4096).unwrap();
        assert_eq!(empty.offsets().count(), 0);
    }
}
