"""The protocol file: each protocol cites its original and offers both paces; a broken file is named with its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.taper.protocol import PROTOCOL_FILE, TaperProtocolError, read_protocols
from tests.support.taper_support import PROTOCOLS


def test_protocols_cite_their_originals_and_offer_both_paces():
    titles = " ".join(s.title for s in PROTOCOLS.sources.values())
    for original in ("Can Fam Physician 2018;64(5):339-51", "Clinical Knowledge Summaries", "Richtlijn Benzodiazepinen dosisreductie",
                     "RIZIV/INAMI", "Joint Clinical Practice Guideline on Benzodiazepine Tapering"):
        assert original in titles, original
    assert set(PROTOCOLS.protocols) >= {"deprescribing_org", "cks_ashton", "nhg_lumc", "riziv_inami"}
    for protocol_id, protocol in PROTOCOLS.protocols.items():
        assert set(protocol.paces) == {"standard", "slow"}, protocol_id
        assert protocol.percent_of in ("current", "start", "bands"), protocol_id  # the reading of "25 %" is stated


def test_protocol_errors_name_file_and_line(tmp_path: Path):
    text = PROTOCOL_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "protocols.yaml"
    broken.write_text(text.replace("fraction: 0.25", "fraction: 1.5", 1), encoding="utf-8")
    with pytest.raises(TaperProtocolError) as caught:
        read_protocols(broken)
    line = next(i for i, l in enumerate(broken.read_text().splitlines(), 1) if "fraction: 1.5" in l)
    assert re.search(rf"protocols\.yaml:{line}:\d+: .*fraction", str(caught.value))
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(text.replace("sources: [POTTIE_2018, POTTIE_2018_T2]", "sources: [NOBODY]", 1), encoding="utf-8")
    with pytest.raises(TaperProtocolError) as caught:
        read_protocols(unknown)
    assert "unknown source 'NOBODY'" in str(caught.value)
    one_pace = tmp_path / "one_pace.yaml"
    one_pace.write_text(re.sub(r"\n      slow:\n        rule: fraction_of_current\n        fraction: 0.10\n.*?note: \"10% of the current dose every 4 weeks.\"",
                               "", text, flags=re.S), encoding="utf-8")
    with pytest.raises(TaperProtocolError, match="both paces"):
        read_protocols(one_pace)
