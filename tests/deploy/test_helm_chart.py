"""The Helm chart (deploy/helm/mda), linted and rendered offline and validated against the Kubernetes 1.33 schemas.

Why these tools: there is no ``helm`` binary in Debian or on PyPI; ``helm-python-sdk`` wraps Helm's own Go SDK, so
lint and render behave as ``helm lint --strict`` and ``helm template`` do (no re-implementation of the template
language), with no cluster. ``kubernetes-validate`` ships the API schemas, and ``strict`` refuses unknown keys.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

helm_python = pytest.importorskip("helm_python")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "mda"
KUBE = "1.33.0"
#: what a region must give at the least (docs/deployment.md)
REGION = {"existingSecret": "mda-secrets", "config": {"baseUrl": "https://mda.regio.example"},
          "ingress": {"host": "mda.regio.example", "tlsSecretName": "mda-tls"}}


def render(values: dict | None = None) -> list[dict]:
    """Every manifest the chart renders for *values*, parsed."""
    chart = helm_python.Chart.load(CHART)
    try:
        rendered = chart.render(values if values is not None else REGION, name="mda", namespace="regio-demodam")
    finally:
        chart.close()
    return [doc for text in rendered.values() for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    return render()


def one(manifests: list[dict], kind: str, name: str | None = None) -> dict:
    found = [m for m in manifests if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)]
    assert len(found) == 1, f"{kind} {name or ''}: {len(found)} found"
    return found[0]


def pod_specs(manifests: list[dict]) -> dict[str, dict]:
    """The pod spec of the Deployment, the migration Job and the CronJob."""
    return {"Deployment": one(manifests, "Deployment")["spec"]["template"]["spec"],
            "Job": one(manifests, "Job")["spec"]["template"]["spec"],
            "CronJob": one(manifests, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]}


def test_the_chart_lints_clean_in_strict_mode():
    """Does ``helm lint --strict`` against Kubernetes 1.33 find no warning or error?"""
    report = helm_python.lint(CHART, REGION, strict=True, kube_version=KUBE)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not problems and not report["errors"], report


def test_every_manifest_is_valid_for_kubernetes_1_33(manifests):
    """Does every rendered manifest pass the Kubernetes 1.33 schema, unknown keys refused?"""
    kinds = sorted(m["kind"] for m in manifests)
    assert kinds == sorted(["ConfigMap", "CronJob", "Deployment", "Ingress", "Job", "NetworkPolicy",
                            "PodDisruptionBudget", "Service", "Service"])
    for manifest in manifests:
        kubernetes_validate.validate(manifest, KUBE, strict=True)


def test_a_misspelt_key_fails_validation(manifests):
    """Would a typo in the chart (readOnlyRootFilesytem) be caught by the validation above?"""
    broken = copy.deepcopy(one(manifests, "Deployment"))
    context = broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    context["readOnlyRootFilesytem"] = context.pop("readOnlyRootFilesystem")
    with pytest.raises(kubernetes_validate.ValidationError, match="Additional properties are not allowed"):
        kubernetes_validate.validate(broken, KUBE, strict=True)


@pytest.mark.parametrize("kind", ["Deployment", "Job", "CronJob"])
def test_every_pod_runs_non_root_read_only_without_capabilities(manifests, kind):
    """Does each pod run as UID 10001 with seccomp RuntimeDefault, a read-only root, no capabilities, no escalation?"""
    spec = pod_specs(manifests)[kind]
    assert spec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                       "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
    assert spec["automountServiceAccountToken"] is False
    for container in spec["containers"]:
        assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                "privileged": False, "capabilities": {"drop": ["ALL"]}}
        assert container["resources"]["limits"]["memory"]
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert mounts == {"/tmp", "/var/lib/mda"}  # the only writable places  # noqa: S108


def test_the_deployment_has_replicas_probes_and_a_graceful_stop(manifests):
    """Are there ≥ 2 replicas, liveness on /healthz/live, readiness on /healthz/ready, and does gunicorn's graceful
    timeout plus the preStop pause fit inside the pod's grace period?"""
    deployment = one(manifests, "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spec = deployment["spec"]["template"]["spec"]
    web = spec["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz/live"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz/live"
    assert web["readinessProbe"]["httpGet"]["path"] == "/healthz/ready"
    assert "command" not in web  # the image's CMD: gunicorn as PID 1; never a migration at start
    config = one(manifests, "ConfigMap")["data"]
    pause = web["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert int(config["MDA_GRACEFUL_TIMEOUT"]) + pause < spec["terminationGracePeriodSeconds"]
    assert one(manifests, "PodDisruptionBudget")["spec"]["minAvailable"] == 1


def test_migrations_run_as_a_pre_install_and_pre_upgrade_hook(manifests):
    """Is the migration a Helm hook Job (before any new pod) that needs only the Secret (no ConfigMap exists yet)?"""
    job = one(manifests, "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["flask", "--app", "mda", "migrate"]
    assert container["envFrom"] == [{"secretRef": {"name": "mda-secrets"}}]


def test_jobs_run_from_one_cronjob_and_never_in_the_pods(manifests):
    """Do the time-driven jobs run from one CronJob that never overlaps itself, with the pods' scheduler off?"""
    cron = one(manifests, "CronJob")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["flask", "--app", "mda", "jobs"]
    assert one(manifests, "ConfigMap")["data"]["MDA_SCHEDULER_MINUTES"] == "0"


def test_secrets_are_only_referenced(manifests):
    """Does the chart render no Secret, put nothing secret in its ConfigMap, and refuse to render without a Secret?"""
    assert not [m for m in manifests if m["kind"] == "Secret"]
    config = one(manifests, "ConfigMap")["data"]
    for key in ("MDA_DATABASE_URL", "MDA_SECRET_KEY", "MDA_TOTP_KEYS", "MDA_REDIS_URL", "MDA_SMTP_PASSWORD"):
        assert key not in config
    for kind, spec in pod_specs(manifests).items():
        refs = [source["secretRef"]["name"] for source in spec["containers"][0]["envFrom"] if "secretRef" in source]
        assert refs == ["mda-secrets"], kind
    without = copy.deepcopy(REGION)
    del without["existingSecret"]
    with pytest.raises(Exception, match="existingSecret"):
        render(without)


def test_metrics_stay_inside_the_cluster(manifests):
    """Does the Ingress reach only the web port, and does the NetworkPolicy open the metrics port to Prometheus only?"""
    ingress = one(manifests, "Ingress")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "mda", "port": {"name": "http"}}
    assert ingress["spec"]["tls"][0]["secretName"] == "mda-tls"
    web_service = one(manifests, "Service", "mda")
    assert [p["targetPort"] for p in web_service["spec"]["ports"]] == ["http"]
    policy = one(manifests, "NetworkPolicy")["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    by_port = {rule["ports"][0]["port"]: rule["from"] for rule in policy["ingress"]}
    assert by_port[9100] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    assert by_port[8000] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]


def test_the_optional_service_monitor_scrapes_the_metrics_port():
    """With metrics.serviceMonitor.enabled, does a ServiceMonitor scrape the metrics Service with the Secret's token?"""
    values = copy.deepcopy(REGION)
    values["metrics"] = {"serviceMonitor": {"enabled": True, "bearerTokenSecretKey": "MDA_METRICS_TOKEN"}}
    monitor = one(render(values), "ServiceMonitor")
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
    assert endpoint["authorization"]["credentials"] == {"name": "mda-secrets", "key": "MDA_METRICS_TOKEN"}
    assert monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "metrics"


@pytest.mark.parametrize("typo", [
    {"replicaCont": 2},
    {"config": {"baseUrl": "https://mda.regio.example", "smtpHots": "x"}},
    {"config": {"baseUrl": "https://mda.regio.example", "extra": {"SECRET": "x"}}},
], ids=["top-level", "nested", "extra-not-MDA"])
def test_a_misspelt_value_is_refused(typo):
    """Does a region's values file with a misspelt key (or a non-MDA_ extra setting) stop the render
    (values.schema.json) instead of being silently ignored?"""
    with pytest.raises(Exception, match="not allowed|does not match"):
        render({**REGION, **typo})


def test_documents_in_the_database_need_no_volume(manifests):
    """With the default storage (the database), does no pod mount a documents volume, and does the ConfigMap say
    "database" with an ingress body limit above the document limit?"""
    config = one(manifests, "ConfigMap")["data"]
    assert (config["MDA_DOCUMENT_STORAGE"], config["MDA_DOCUMENT_MAX_MB"]) == ("database", "20")
    assert "MDA_DOCUMENT_DIR" not in config
    for spec in pod_specs(manifests).values():
        assert "documents" not in {v["name"] for v in spec["volumes"]}
    body = one(manifests, "Ingress")["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert int(body.rstrip("m")) > 20


def test_documents_on_disk_mount_the_regions_claim_in_every_pod():
    """With documents.storage=disk and a claim, does every pod (web, migration, jobs: retention removes files) mount
    it where MDA_DOCUMENT_DIR points, and valid for Kubernetes 1.33?"""
    values = {**REGION, "documents": {"storage": "disk", "existingClaim": "mda-documenten"}}
    manifests = render(values)
    assert one(manifests, "ConfigMap")["data"]["MDA_DOCUMENT_DIR"] == "/var/lib/mda-documents"
    for kind, spec in pod_specs(manifests).items():
        volume = next(v for v in spec["volumes"] if v["name"] == "documents")
        assert volume["persistentVolumeClaim"]["claimName"] == "mda-documenten", kind
        mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        assert mounts["documents"] == "/var/lib/mda-documents", kind
    for manifest in manifests:
        kubernetes_validate.validate(manifest, KUBE, strict=True)


def test_disk_storage_without_a_claim_is_refused_by_the_values_schema():
    """Is documents.storage=disk without existingClaim (and an unknown storage) refused before anything renders?"""
    for documents in ({"storage": "disk"}, {"storage": "s3"}):
        with pytest.raises(Exception, match="documents"):
            render({**REGION, "documents": documents})
