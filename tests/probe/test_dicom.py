"""DICOM probe against real servers: pynetdicom SCPs, Orthanc and DCMTK storescp (Debian).

Expected values follow from each server's configuration and DICOM PS3.8 §9.3.4
(A-ASSOCIATE-RJ reasons: 3 = calling AE title not recognized, 7 = called AE title not
recognized) and PS3.7 §9.1.5 (C-ECHO status 0x0000 = success).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from caresec.model.exposure import ProbeStatus
from caresec.probe.dicom import DicomTarget, probe_dicom


def _checks(result):  # type: ignore[no-untyped-def]
    return {c.check_id: c.holds for c in result.checks}


@pytest.mark.parametrize(("mode", "any_calling", "any_called"), [
    ("strict", False, False),
    ("open", True, True),
])
def test_pynetdicom_scp_strict_and_open_are_told_apart(
    srv, start, probe, mode, any_calling, any_called
):  # type: ignore[no-untyped-def]
    scp = start(srv.DicomScp(mode))
    result = probe_dicom(probe, DicomTarget("127.0.0.1", scp.port, scp.ae_title, "CARESEC"))
    assert result.status is ProbeStatus.ANSWERED
    checks = _checks(result)
    assert checks["dicom.accepts-configured-ae"] is True
    assert checks["dicom.echo-answered"] is True
    assert checks["dicom.accepts-any-calling-ae"] is any_calling
    assert checks["dicom.accepts-any-called-ae"] is any_called
    assert "dicom.query-answered-unrestricted" not in checks  # no opt-in, no query
    assert scp.queries == 0
    contexts = dict(result.details)["accepted contexts"]
    assert "Verification SOP Class [Implicit VR Little Endian]" in contexts
    assert "Patient Root Query/Retrieve Information Model - FIND" in contexts
    assert "CT Image Storage" not in contexts  # the SCP supports no storage
    if mode == "strict":
        detail = next(c.detail for c in result.checks
                      if c.check_id == "dicom.accepts-any-calling-ae")
        assert "calling AE title not recognized" in detail


def test_opted_in_query_counts_matches_of_the_open_scp_and_keeps_no_identifier(
    srv, start, phi_probe
):  # type: ignore[no-untyped-def]
    scp = start(srv.DicomScp("open"))
    result = probe_dicom(phi_probe, DicomTarget("127.0.0.1", scp.port, scp.ae_title, "CARESEC"))
    assert _checks(result)["dicom.query-answered-unrestricted"] is True
    assert dict(result.counts) == {"dicom.patient-level-matches": srv.SYNTHETIC_PATIENTS}
    assert scp.queries == 1
    assert "TEST-1" not in repr(result)  # the synthetic PatientID never reaches the result


def test_opted_in_query_is_not_sent_when_unknown_ae_titles_are_refused(
    srv, start, phi_probe
):  # type: ignore[no-untyped-def]
    scp = start(srv.DicomScp("strict"))
    result = probe_dicom(phi_probe, DicomTarget("127.0.0.1", scp.port, scp.ae_title, "CARESEC"))
    assert _checks(result)["dicom.query-answered-unrestricted"] is False
    assert result.counts == ()
    assert scp.queries == 0


def test_dicom_over_tls(srv, pki, start, probe):  # type: ignore[no-untyped-def]
    scp = start(srv.DicomScp("open", context=srv.server_context(pki, "strong")))
    plain = probe_dicom(probe, DicomTarget("127.0.0.1", scp.port, scp.ae_title, "CARESEC"))
    assert plain.status in (ProbeStatus.OTHER_PROTOCOL, ProbeStatus.RESET, ProbeStatus.GARBAGE)
    over_tls = probe_dicom(probe, DicomTarget("127.0.0.1", scp.port, scp.ae_title, "CARESEC",
                                              tls=True, server_name="probe.test"))
    assert over_tls.status is ProbeStatus.ANSWERED
    assert _checks(over_tls)["dicom.accepts-any-calling-ae"] is True


@pytest.mark.parametrize(("mode", "any_calling", "any_called", "query"), [
    # strict: DicomCheckCalledAet, only CARESEC known, nothing always allowed
    ("strict", False, False, False),
    # open: called AE unchecked, echo/store/find always allowed
    ("open", True, True, True),
])
def test_orthanc_strict_and_open_are_told_apart(
    srv, start, phi_probe, tmp_path, mode, any_calling, any_called, query
):  # type: ignore[no-untyped-def]
    orthanc = start(srv.Orthanc(mode, tmp_path))
    result = probe_dicom(phi_probe, DicomTarget("127.0.0.1", orthanc.port, orthanc.ae_title,
                                                "CARESEC"))
    checks = _checks(result)
    assert checks["dicom.accepts-configured-ae"] is True
    assert checks["dicom.accepts-any-calling-ae"] is any_calling
    assert checks["dicom.accepts-any-called-ae"] is any_called
    assert checks["dicom.query-answered-unrestricted"] is query
    # Orthanc starts empty: the query is answered (status 0x0000) with no match.
    assert dict(result.counts) == ({"dicom.patient-level-matches": 0} if query else {})


def test_dcmtk_storescp_default_accepts_any_ae_title(
    srv, start, probe, tmp_path
):  # type: ignore[no-untyped-def]
    scp = start(srv.StoreScp("open", tmp_path))
    result = probe_dicom(probe, DicomTarget("127.0.0.1", scp.port, scp.ae_title, "CARESEC"))
    checks = _checks(result)
    assert checks["dicom.accepts-any-calling-ae"] is True
    assert checks["dicom.accepts-any-called-ae"] is True
    assert checks["dicom.echo-answered"] is True
    contexts = dict(result.details)["accepted contexts"]
    assert "CT Image Storage" in contexts
    assert "Patient Root" not in contexts  # storescp is a Storage and Verification SCP only


def test_dcmtk_storescp_with_mutual_tls_refuses_a_prober_without_certificate(
    srv, pki, start, probe, tmp_path
):  # type: ignore[no-untyped-def]
    from caresec.probe.tls import probe_tls

    scp = start(srv.StoreScp("mtls", tmp_path, pki))
    tls = probe_tls(replace(probe, ca_file=pki.ca), "127.0.0.1", scp.port, "probe.test")
    assert tls.client_certificate_required is True
    result = probe_dicom(probe, DicomTarget("127.0.0.1", scp.port, scp.ae_title, "CARESEC",
                                            tls=True, server_name="probe.test"))
    assert result.status is not ProbeStatus.ANSWERED
    assert "dicom.accepts-any-calling-ae" not in _checks(result)
