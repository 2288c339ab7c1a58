//! Finger positions as ISO/IEC 19794-4 numbers them and as MOSIP SBI names them.

use std::fmt;

/// A finger, numbered as ISO/IEC 19794-4 finger positions 1–10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Finger {
    /// Position 1.
    RightThumb = 1,
    /// Position 2.
    RightIndex = 2,
    /// Position 3.
    RightMiddle = 3,
    /// Position 4.
    RightRing = 4,
    /// Position 5.
    RightLittle = 5,
    /// Position 6.
    LeftThumb = 6,
    /// Position 7.
    LeftIndex = 7,
    /// Position 8.
    LeftMiddle = 8,
    /// Position 9.
    LeftRing = 9,
    /// Position 10.
    LeftLittle = 10,
}

impl Finger {
    /// All ten fingers in position order.
    pub const ALL: [Finger; 10] = [
        Finger::RightThumb,
        Finger::RightIndex,
        Finger::RightMiddle,
        Finger::RightRing,
        Finger::RightLittle,
        Finger::LeftThumb,
        Finger::LeftIndex,
        Finger::LeftMiddle,
        Finger::LeftRing,
        Finger::LeftLittle,
    ];

    /// The ISO/IEC 19794-4 finger position code (1–10).
    pub fn position(self) -> u8 {
        self as u8
    }

    /// The finger for an ISO finger position code, if it names one finger.
    pub fn from_position(code: u8) -> Option<Finger> {
        Finger::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// The MOSIP SBI `bioSubType` name, e.g. `"Left IndexFinger"`.
    pub fn bio_sub_type(self) -> &'static str {
        match self {
            Finger::RightThumb => "Right Thumb",
            Finger::RightIndex => "Right IndexFinger",
            Finger::RightMiddle => "Right MiddleFinger",
            Finger::RightRing => "Right RingFinger",
            Finger::RightLittle => "Right LittleFinger",
            Finger::LeftThumb => "Left Thumb",
            Finger::LeftIndex => "Left IndexFinger",
            Finger::LeftMiddle => "Left MiddleFinger",
            Finger::LeftRing => "Left RingFinger",
            Finger::LeftLittle => "Left LittleFinger",
        }
    }

    /// The finger an SBI `bioSubType` names; devices differ in case and spacing, so both are ignored.
    pub fn from_bio_sub_type(name: &str) -> Option<Finger> {
        let wanted = squash(name);
        Finger::ALL.into_iter().find(|f| squash(f.bio_sub_type()) == wanted)
    }

    /// The slap segment (SBI `deviceSubId`) this finger is captured in.
    pub fn slap(self) -> Slap {
        match self {
            Finger::RightThumb | Finger::LeftThumb => Slap::Thumbs,
            Finger::RightIndex | Finger::RightMiddle | Finger::RightRing | Finger::RightLittle => Slap::RightFour,
            _ => Slap::LeftFour,
        }
    }

    /// True for the two thumbs.
    pub fn is_thumb(self) -> bool {
        matches!(self, Finger::RightThumb | Finger::LeftThumb)
    }
}

impl fmt::Display for Finger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (position {})", self.bio_sub_type(), self.position())
    }
}

/// One segment of a 4-4-2 slap capture, as SBI `deviceSubId` numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slap {
    /// `deviceSubId` 1: left index to little finger.
    LeftFour,
    /// `deviceSubId` 2: right index to little finger.
    RightFour,
    /// `deviceSubId` 3: both thumbs.
    Thumbs,
}

impl Slap {
    /// The three segments of a 4-4-2 enrollment, in the usual order.
    pub const FOUR_FOUR_TWO: [Slap; 3] = [Slap::LeftFour, Slap::RightFour, Slap::Thumbs];

    /// The SBI `deviceSubId`.
    pub fn device_sub_id(self) -> u8 {
        match self {
            Slap::LeftFour => 1,
            Slap::RightFour => 2,
            Slap::Thumbs => 3,
        }
    }

    /// The segment an SBI `deviceSubId` names (0, "any", names none).
    pub fn from_device_sub_id(id: u8) -> Option<Slap> {
        match id {
            1 => Some(Slap::LeftFour),
            2 => Some(Slap::RightFour),
            3 => Some(Slap::Thumbs),
            _ => None,
        }
    }

    /// The fingers of this segment.
    pub fn fingers(self) -> &'static [Finger] {
        match self {
            Slap::LeftFour => &[
                Finger::LeftIndex,
                Finger::LeftMiddle,
                Finger::LeftRing,
                Finger::LeftLittle,
            ],
            Slap::RightFour => &[
                Finger::RightIndex,
                Finger::RightMiddle,
                Finger::RightRing,
                Finger::RightLittle,
            ],
            Slap::Thumbs => &[Finger::LeftThumb, Finger::RightThumb],
        }
    }
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}
