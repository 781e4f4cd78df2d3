//! Message sequence numbers: twice the number of content-related messages sent before, plus one
//! if this message is itself content-related.

/// Counts the content-related messages one sender created in a session.
#[derive(Clone, Debug, Default)]
pub(crate) struct SeqNo {
    content_related: i32,
}

impl SeqNo {
    pub(crate) fn next(&mut self, content_related: bool) -> i32 {
        let seq = self.content_related.wrapping_mul(2);
        if content_related {
            self.content_related = self.content_related.wrapping_add(1);
            seq | 1
        } else {
            seq
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_related_are_odd_and_counted() {
        let mut s = SeqNo::default();
        assert_eq!(s.next(false), 0);
        assert_eq!(s.next(true), 1);
        assert_eq!(s.next(true), 3);
        assert_eq!(s.next(false), 4);
        assert_eq!(s.next(true), 5);
        assert_eq!(s.next(false), 6);
    }
}
