// SPDX-License-Identifier: GPL-2.0

//! Decoding of SMMUv3 event queue records (Arm IHI 0070, "Event queue
//! record formats"): 32 bytes, four little-endian 64-bit words.
//!
//! Owns: the record layout, the names of the event types, and which fields
//! each type carries. Must not: read the queue (the caller passes words).

use core::fmt;

/// 64-bit words of one event record (32 bytes, `EVTQ_ENT_DWORDS`).
pub const RECORD_DWORDS: usize = 4;

/// What an event type carries besides the stream ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields {
    /// SSV/SubstreamID.
    pub ssid: bool,
    /// Input address (word 2).
    pub addr: bool,
    /// IPA (word 3, bits 51:12).
    pub ipa: bool,
    /// Fetch address (word 3, bits 51:3).
    pub fetch: bool,
    /// RnW, InD, PnU.
    pub access: bool,
    /// S2, CLASS.
    pub stage: bool,
    /// Stall and STAG.
    pub stall: bool,
    /// TTRnW (permission faults).
    pub tt_read: bool,
}

const NONE: Fields = Fields {
    ssid: false,
    addr: false,
    ipa: false,
    fetch: false,
    access: false,
    stage: false,
    stall: false,
    tt_read: false,
};

const FAULT: Fields = Fields {
    ssid: true,
    addr: true,
    ipa: true,
    fetch: false,
    access: true,
    stage: true,
    stall: true,
    tt_read: false,
};

/// An event type: its id, architectural name and fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventType {
    /// Event type id (word 0 bits 7:0).
    pub id: u8,
    /// Architectural name (F_TRANSLATION, C_BAD_STE, ...).
    pub name: &'static str,
    /// Fields it carries.
    pub fields: Fields,
}

/// Every event type of the architecture (SMMUv3.3) and its fields.
pub const TYPES: &[EventType] = &[
    EventType {
        id: 0x01,
        name: "F_UUT",
        fields: Fields {
            ssid: true,
            addr: true,
            access: true,
            ..NONE
        },
    },
    EventType {
        id: 0x02,
        name: "C_BAD_STREAMID",
        fields: Fields { ssid: true, ..NONE },
    },
    EventType {
        id: 0x03,
        name: "F_STE_FETCH",
        fields: Fields {
            ssid: true,
            fetch: true,
            ..NONE
        },
    },
    EventType {
        id: 0x04,
        name: "C_BAD_STE",
        fields: Fields { ssid: true, ..NONE },
    },
    EventType {
        id: 0x05,
        name: "F_BAD_ATS_TREQ",
        fields: Fields {
            ssid: true,
            addr: true,
            access: true,
            ..NONE
        },
    },
    EventType {
        id: 0x06,
        name: "F_STREAM_DISABLED",
        fields: NONE,
    },
    EventType {
        id: 0x07,
        name: "F_TRANSL_FORBIDDEN",
        fields: Fields {
            addr: true,
            access: true,
            ..NONE
        },
    },
    EventType {
        id: 0x08,
        name: "C_BAD_SUBSTREAMID",
        fields: Fields { ssid: true, ..NONE },
    },
    EventType {
        id: 0x09,
        name: "F_CD_FETCH",
        fields: Fields {
            ssid: true,
            fetch: true,
            ..NONE
        },
    },
    EventType {
        id: 0x0a,
        name: "C_BAD_CD",
        fields: Fields { ssid: true, ..NONE },
    },
    EventType {
        id: 0x0b,
        name: "F_WALK_EABT",
        fields: Fields {
            ssid: true,
            addr: true,
            fetch: true,
            access: true,
            stage: true,
            ..NONE
        },
    },
    EventType {
        id: 0x10,
        name: "F_TRANSLATION",
        fields: FAULT,
    },
    EventType {
        id: 0x11,
        name: "F_ADDR_SIZE",
        fields: FAULT,
    },
    EventType {
        id: 0x12,
        name: "F_ACCESS",
        fields: FAULT,
    },
    EventType {
        id: 0x13,
        name: "F_PERMISSION",
        fields: Fields {
            tt_read: true,
            ..FAULT
        },
    },
    EventType {
        id: 0x20,
        name: "F_TLB_CONFLICT",
        fields: Fields {
            ssid: true,
            addr: true,
            access: true,
            stage: true,
            ..NONE
        },
    },
    EventType {
        id: 0x21,
        name: "F_CFG_CONFLICT",
        fields: Fields { ssid: true, ..NONE },
    },
    EventType {
        id: 0x24,
        name: "E_PAGE_REQUEST",
        fields: Fields {
            ssid: true,
            addr: true,
            access: true,
            ..NONE
        },
    },
    EventType {
        id: 0x25,
        name: "F_VMS_FETCH",
        fields: Fields {
            fetch: true,
            ..NONE
        },
    },
];

/// Bits of the record (arm-smmu-v3.h EVTQ_*).
pub mod bits {
    /// Word 0: SubstreamID valid.
    pub const SSV: u64 = 1 << 11;
    /// Word 1: stalled transaction.
    pub const STALL: u64 = 1 << 31;
    /// Word 1: privileged (1) / unprivileged.
    pub const PNU: u64 = 1 << 33;
    /// Word 1: instruction (1) / data.
    pub const IND: u64 = 1 << 34;
    /// Word 1: read (1) / write.
    pub const RNW: u64 = 1 << 35;
    /// Word 1: fault at stage 2.
    pub const S2: u64 = 1 << 39;
    /// Word 1: CLASS shift (bits 41:40).
    pub const CLASS_SHIFT: u32 = 40;
    /// Word 1: the faulting table walk was a read.
    pub const TT_READ: u64 = 1 << 44;
    /// Word 3: IPA bits 51:12.
    pub const IPA_MASK: u64 = ((1 << 52) - 1) & !((1 << 12) - 1);
    /// Word 3: fetch address bits 51:3.
    pub const FETCH_MASK: u64 = ((1 << 52) - 1) & !((1 << 3) - 1);
}

/// A decoded event record. Fields the type does not carry are `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The raw words.
    pub raw: [u64; 4],
    /// Event type id.
    pub id: u8,
    /// Architectural name, `IMPDEF` (0xe0-0xef) or `UNKNOWN`.
    pub name: &'static str,
    /// StreamID.
    pub sid: u32,
    /// SubstreamID, if the type has one and SSV is set.
    pub ssid: Option<u32>,
    /// Input address.
    pub addr: Option<u64>,
    /// Intermediate physical address.
    pub ipa: Option<u64>,
    /// Address of the failed configuration or table fetch.
    pub fetch_addr: Option<u64>,
    /// Read (true) or write, if carried.
    pub read: Option<bool>,
    /// Instruction (true) or data, if carried.
    pub instruction: Option<bool>,
    /// Privileged (true) or unprivileged, if carried.
    pub privileged: Option<bool>,
    /// Fault at stage 2 (true) or 1, if carried.
    pub stage2: Option<bool>,
    /// CLASS: 0 CD, 1 TT, 2 IN, 3 reserved, if carried.
    pub class: Option<u8>,
    /// Stall tag, if the transaction stalled.
    pub stag: Option<u16>,
    /// Stalled, if carried.
    pub stall: Option<bool>,
    /// The faulting table walk access was a read, if carried.
    pub tt_read: Option<bool>,
}

/// The type with `id`, if the architecture defines it.
pub fn event_type(id: u8) -> Option<&'static EventType> {
    TYPES.iter().find(|t| t.id == id)
}

/// Name of a CLASS value.
pub fn class_name(c: u8) -> &'static str {
    match c {
        0 => "CD",
        1 => "TT",
        2 => "IN",
        _ => "RES",
    }
}

/// Decodes a record. Never fails: unknown types keep only what every
/// record has (type and StreamID) and the raw words.
pub fn decode(raw: [u64; RECORD_DWORDS]) -> Event {
    let id = (raw[0] & 0xff) as u8;
    let t = event_type(id);
    let name = match t {
        Some(t) => t.name,
        None if (0xe0..=0xef).contains(&id) => "IMPDEF",
        None => "UNKNOWN",
    };
    let f = t.map_or(NONE, |t| t.fields);
    let w1 = raw[1];
    let stalled = f.stall && w1 & bits::STALL != 0;
    Event {
        raw,
        id,
        name,
        sid: (raw[0] >> 32) as u32,
        ssid: (f.ssid && raw[0] & bits::SSV != 0).then_some(((raw[0] >> 12) & 0xf_ffff) as u32),
        addr: f.addr.then_some(raw[2]),
        ipa: f.ipa.then_some(raw[3] & bits::IPA_MASK),
        fetch_addr: f.fetch.then_some(raw[3] & bits::FETCH_MASK),
        read: f.access.then_some(w1 & bits::RNW != 0),
        instruction: f.access.then_some(w1 & bits::IND != 0),
        privileged: f.access.then_some(w1 & bits::PNU != 0),
        stage2: f.stage.then_some(w1 & bits::S2 != 0),
        class: f.stage.then_some(((w1 >> bits::CLASS_SHIFT) & 3) as u8),
        stag: stalled.then_some((w1 & 0xffff) as u16),
        stall: f.stall.then_some(stalled),
        tt_read: f.tt_read.then_some(w1 & bits::TT_READ != 0),
    }
}

/// The one-line text of an event (the tracepoint's format, without the
/// SMMU and client names): `F_TRANSLATION(0x10) sid=0x8 ssid=- iova=0x...
/// ipa=0x... read data unpriv s1 class=IN`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(0x{:02x}) sid=0x{:x}", self.name, self.id, self.sid)?;
        match self.ssid {
            Some(s) => write!(f, " ssid=0x{:x}", s)?,
            None => f.write_str(" ssid=-")?,
        }
        if let Some(a) = self.addr {
            write!(f, " iova=0x{:x}", a)?;
        }
        if let Some(a) = self.ipa {
            write!(f, " ipa=0x{:x}", a)?;
        }
        if let Some(a) = self.fetch_addr {
            write!(f, " fetch=0x{:x}", a)?;
        }
        if let Some(r) = self.read {
            f.write_str(if r { " read" } else { " write" })?;
        }
        if let Some(i) = self.instruction {
            f.write_str(if i { " insn" } else { " data" })?;
        }
        if let Some(p) = self.privileged {
            f.write_str(if p { " priv" } else { " unpriv" })?;
        }
        if let Some(s) = self.stage2 {
            f.write_str(if s { " s2" } else { " s1" })?;
        }
        if let Some(c) = self.class {
            write!(f, " class={}", class_name(c))?;
        }
        if let Some(t) = self.stag {
            write!(f, " stall stag=0x{:x}", t)?;
        }
        if let Some(t) = self.tt_read {
            f.write_str(if t { " tt=read" } else { " tt=write" })?;
        }
        Ok(())
    }
}
