{{/* The release's full name, at most 63 characters. */}}
{{- define "mda.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mda.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mda.labels" -}}
{{ include "mda.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "mda.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "mda.secretName" -}}
{{- required "existingSecret: name an existing Secret with MDA_DATABASE_URL, MDA_SECRET_KEY, MDA_TOTP_KEYS and MDA_DOCUMENT_KEYS" .Values.existingSecret -}}
{{- end -}}

{{/* The pod's security context: a fixed non-root user, the runtime's seccomp profile. */}}
{{- define "mda.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Each container's: read-only root, no capabilities, no privilege escalation. */}}
{{- define "mda.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Settings every container gets: the ConfigMap's values and the region's Secret. */}}
{{- define "mda.envFrom" -}}
- configMapRef:
    name: {{ include "mda.fullname" . }}
- secretRef:
    name: {{ include "mda.secretName" . }}
{{- end -}}

{{/* The writable places: /tmp (metrics files) and the instance folder; the root file system is read-only. */}}
{{- define "mda.volumes" -}}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
- name: instance
  emptyDir:
    sizeLimit: 256Mi
{{- if eq .Values.documents.storage "disk" }}
- name: documents
  persistentVolumeClaim:
    claimName: {{ required "documents.existingClaim: a ReadWriteMany claim for documents.storage=disk" .Values.documents.existingClaim }}
{{- end }}
{{- end -}}

{{- define "mda.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: instance
  mountPath: /var/lib/mda
{{- if eq .Values.documents.storage "disk" }}
- name: documents
  mountPath: /var/lib/mda-documents
{{- end }}
{{- end -}}

{{- define "mda.pullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
