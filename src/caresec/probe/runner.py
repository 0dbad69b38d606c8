"""Run probes over the planned targets, one after another, saving after each one.

For each target: decide whether it speaks TLS (configured, or a handshake attempt when
``tls = "auto"``), run the TLS checks when it does, then the protocol probe (over TLS when
applicable), then record a :class:`~caresec.model.exposure.ServiceObservation`. Every fault
becomes the target's status; an unexpected error in one probe is recorded as ``error`` for that
target and the run goes on. The run document is rewritten after every target, so an interrupted
run (Ctrl-C, a crash, a reboot) is resumed with :func:`resume_run` from where it stopped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from caresec import __version__
from caresec.collect.org import load_org
from caresec.errors import CaresecError
from caresec.model import OrgConfig
from caresec.model.exposure import ProbeCheck, ProbeStatus, ServiceObservation, ServiceProtocol
from caresec.probe.evidence import RUN_PREFIX, RunRecord, read_run
from caresec.probe.net import ProbeContext, ProtocolResult, classify
from caresec.probe.ratelimit import RateLimiter
from caresec.probe.scope import (
    PlannedTarget,
    ProbeScope,
    TlsMode,
    has_probe_table,
    resolve_targets,
    scope_from_org,
)
from caresec.probe.tls import detect_tls, probe_tls, tls_checks

EPHI_PROTOCOLS = (ServiceProtocol.DICOM, ServiceProtocol.HL7_MLLP, ServiceProtocol.FHIR)


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """What the runner reports: ``index`` of ``total`` (1-based), the target key, and the
    status once it is done (None when it starts)."""

    index: int
    total: int
    key: str
    status: ProbeStatus | None = None


Progress = Callable[[ProgressEvent], None]


def new_run(scope: ProbeScope, targets: Sequence[PlannedTarget], *, phi_opt_in: bool,
            now: datetime | None = None) -> RunRecord:
    """A new run record under ``scope.results_dir`` named ``probe-YYYYMMDDTHHMMSSZ.json``."""
    started = (now or datetime.now(UTC)).replace(microsecond=0)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    path = scope.results_dir / f"{RUN_PREFIX}{stamp}.json"
    suffix = 1
    while path.exists():
        suffix += 1
        path = scope.results_dir / f"{RUN_PREFIX}{stamp}-{suffix}.json"
    return RunRecord(
        path=path,
        tool=f"caresec {__version__}",
        started_at=started.isoformat(),
        phi_queries=phi_opt_in,
        planned=[t.key for t in targets],
        scope=_scope_json(scope),
    )


def find_incomplete(results_dir: Path) -> Path | None:
    """The newest run document in ``results_dir`` that is not complete, or None."""
    if not results_dir.is_dir():
        return None
    for path in sorted(results_dir.glob(f"{RUN_PREFIX}*.json"), reverse=True):
        record, _problems = read_run(path, display=path.name)
        if record is not None and not record.complete:
            return path
    return None


def resume_run(scope: ProbeScope, path: Path, *,
               phi_opt_in: bool) -> tuple[RunRecord, tuple[PlannedTarget, ...]]:
    """Load an interrupted run and the targets it still has to probe.

    The remaining targets are checked against the scope *now* in ``caresec.toml``.

    Raises:
        CaresecError: the file is not a readable run, it is complete, or the opt-in differs.
        ScopeError: a remaining target is no longer in scope.
    """
    record, problems = read_run(path, display=str(path))
    if record is None:
        raise CaresecError(f"{path} is not a readable probe run: "
                           f"{'; '.join(str(p) for p in problems)}")
    if record.complete:
        raise CaresecError(f"{path} is complete; there is nothing to resume.")
    if record.phi_queries != phi_opt_in:
        given = "with" if record.phi_queries else "without"
        raise CaresecError(f"{path} was started {given} --opt-in-phi-queries; resume it the same "
                           "way.")
    done = record.done
    remaining = [key for key in record.planned if key not in done]
    return record, resolve_targets(scope, remaining) if remaining else ()


def run_probes(
    scope: ProbeScope,
    targets: Sequence[PlannedTarget],
    record: RunRecord,
    *,
    phi_opt_in: bool = False,
    progress: Progress | None = None,
    limiter: RateLimiter | None = None,
) -> RunRecord:
    """Probe ``targets`` in order, appending each result to ``record`` and saving it.

    Args:
        scope: the probe scope (rate, timeouts, CA bundle).
        targets: what to probe (from :func:`~caresec.probe.scope.resolve_targets` or
            :func:`resume_run`); already-recorded keys are skipped.
        record: the run being written (:func:`new_run` or :func:`resume_run`).
        phi_opt_in: the command-line opt-in; PHI-capable queries run only on targets whose
            entry also has ``phi_queries = true``.
        progress: called when each target starts and ends.
        limiter: the global rate limiter (default: one at ``scope.rate``).

    Returns:
        ``record``, complete when every planned key has a result. KeyboardInterrupt is passed
        on after the record of the finished targets is saved.
    """
    limiter = limiter or RateLimiter(scope.rate)
    done = record.done
    todo = [t for t in targets if t.key not in done]
    total = len(record.planned)
    record.save()
    for target in todo:
        index = len(record.results) + 1
        if progress:
            progress(ProgressEvent(index, total, target.key))
        observation = probe_target(target, limiter, ca_file=scope.ca_file,
                                   phi_queries=phi_opt_in and target.spec.phi_queries)
        record.results.append(observation)
        record.save()
        if progress:
            progress(ProgressEvent(index, total, target.key, observation.status))
    if set(record.planned) <= record.done:
        record.complete = True
        record.finished_at = datetime.now(UTC).replace(microsecond=0).isoformat()
        record.save()
    return record


def probe_for_audit(org: OrgConfig | Path, *,
                    progress: Progress | None = None) -> RunRecord | None:
    """Run the whole probe scope as part of ``caresec audit`` when the organization enables it.

    Args:
        org: the loaded organization (its ``[probe]`` table, :meth:`OrgConfig.section`), or
            its folder (then loaded with :func:`caresec.collect.org.load_org`).
        progress: as for :func:`run_probes`.

    Returns:
        The completed run (saved under the evidence folder, where
        :func:`~caresec.probe.evidence.load_probe_results` reads it), or None when
        ``caresec.toml`` has no ``[probe]`` table or ``[probe] audit`` is not true. PHI-capable
        queries never run this way (they need ``caresec probe --opt-in-phi-queries``).

    Raises:
        ConfigError: ``caresec.toml`` (given a folder) or its ``[probe]`` table is invalid.
        OSError: the run document cannot be written to the evidence folder.
    """
    loaded = org if isinstance(org, OrgConfig) else load_org(org)
    if not has_probe_table(loaded):
        return None
    scope = scope_from_org(loaded)
    if not scope.audit:
        return None
    targets = scope.plan()
    record = new_run(scope, targets, phi_opt_in=False)
    return run_probes(scope, targets, record, phi_opt_in=False, progress=progress)


def probe_target(target: PlannedTarget, limiter: RateLimiter, *, ca_file: Path | None = None,
                 phi_queries: bool = False) -> ServiceObservation:
    """Probe one target; never raises except KeyboardInterrupt and SystemExit."""
    started = datetime.now(UTC)
    probe = ProbeContext(limiter=limiter, timeout=target.spec.timeout, ca_file=ca_file,
                         phi_queries=phi_queries)
    spec = target.spec
    server_name = spec.server_name or target.address
    tls_observation = None
    checks: list[ProbeCheck] = []
    try:
        if spec.tls is TlsMode.AUTO:
            uses_tls = detect_tls(probe, target.address, target.port, server_name)
        else:
            uses_tls = spec.tls is TlsMode.ON or spec.protocol is ServiceProtocol.TLS
        if uses_tls:
            tls_observation = probe_tls(probe, target.address, target.port, server_name)
            checks.extend(tls_checks(tls_observation, now=started))
            if not tls_observation.protocols:
                result = ProtocolResult(ProbeStatus.TLS_FAILED, error="no TLS handshake "
                                        "completed: " + "; ".join(tls_observation.errors))
            else:
                result = _protocol(probe, target, tls=True, server_name=server_name)
        elif spec.protocol is ServiceProtocol.TLS:
            result = ProtocolResult(ProbeStatus.OTHER_PROTOCOL, error="the service does not "
                                    "speak TLS")
        else:
            result = _protocol(probe, target, tls=False, server_name=server_name)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # a fault in one target never stops the run
        status, message = classify(exc)
        result = ProtocolResult(status, error=message)
    checks = [*result.checks, *checks]
    answered = result.status is ProbeStatus.ANSWERED
    error = result.error
    if not answered and tls_observation and tls_observation.client_certificate_required:
        error = (f"{error}; the service requires a TLS client certificate (mutual TLS), so "
                 f"{spec.protocol} was not reached without one").lstrip("; ")
    over_tls = bool(tls_observation and tls_observation.protocols)
    if answered and spec.protocol in EPHI_PROTOCOLS:
        checks.append(ProbeCheck(
            "service.cleartext", not over_tls,
            f"{spec.protocol} answered " + ("over TLS" if over_tls else "in clear text"),
        ))
    encrypted = over_tls if answered or over_tls else None
    return ServiceObservation(
        address=target.address,
        port=target.port,
        protocol=spec.protocol,
        status=result.status,
        method="probe",
        observed_at=started.replace(microsecond=0).isoformat(),
        finished_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        host_name=spec.server_name,
        tls=tls_observation,
        encrypted=encrypted,
        checks=tuple(checks),
        counts=result.counts,
        details=result.details,
        error=error,
    )


def _protocol(probe: ProbeContext, target: PlannedTarget, *, tls: bool,
              server_name: str) -> ProtocolResult:
    spec = target.spec
    if spec.protocol is ServiceProtocol.DICOM:
        from caresec.probe.dicom import DicomTarget, probe_dicom

        return probe_dicom(probe, DicomTarget(target.address, target.port, spec.called_ae,
                                              spec.calling_ae, tls=tls, server_name=server_name))
    if spec.protocol is ServiceProtocol.HL7_MLLP:
        from caresec.probe.hl7_mllp import Hl7Target, probe_hl7

        return probe_hl7(probe, Hl7Target(target.address, target.port, tls=tls,
                                          server_name=server_name))
    if spec.protocol is ServiceProtocol.FHIR:
        from caresec.probe.fhir import FhirTarget, probe_fhir

        return probe_fhir(probe, FhirTarget(target.address, target.port, tls=tls,
                                            base_path=spec.base_path, server_name=server_name))
    return ProtocolResult(ProbeStatus.ANSWERED)  # TLS only: the TLS checks are the probe


def _scope_json(scope: ProbeScope) -> dict[str, object]:
    source = scope.source.name
    with contextlib.suppress(ValueError):
        source = scope.source.relative_to(scope.results_dir.parent).as_posix()
    return {
        "source": source,
        "rate": scope.rate,
        "timeout": scope.timeout,
        "ca_file": scope.ca_file.name if scope.ca_file else "",
        "audit": scope.audit,
        "targets": [
            {
                "index": t.index, "name": t.name, "protocol": t.protocol.value,
                "hosts": list(t.hosts), "ports": list(t.ports), "tls": t.tls.value,
                "timeout": t.timeout, "phi_queries": t.phi_queries, "called_ae": t.called_ae,
                "calling_ae": t.calling_ae, "server_name": t.server_name,
                "base_path": t.base_path,
            }
            for t in scope.targets
        ],
    }
