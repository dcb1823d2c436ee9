{{/* Names and labels shared by every template. */}}

{{- define "crm.labels" -}}
app.kubernetes.io/part-of: crm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The labels that pick one role's pods: Deployment, Service, PDB, spread and NetworkPolicy agree on these. */}}
{{- define "crm.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{/* A role's object name: <release>-<service> for web, <release>-<service>-worker for the worker. */}}
{{- define "crm.fullname" -}}
{{- if eq .role "web" }}{{ printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" }}
{{- else }}{{ printf "%s-%s-%s" .root.Release.Name .name .role | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{/* Every enabled (service, role) with its merged settings, as a list of dicts, so each template loops once. */}}
{{- define "crm.roles" -}}
{{- $out := list }}
{{- range $name, $svc := .Values.services }}
{{- if $svc.enabled }}
{{- range $role := list "web" "worker" }}
{{- $cfg := mergeOverwrite (deepCopy (index $.Values.defaults $role)) (deepCopy (index $svc $role | default dict)) }}
{{- $out = append $out (dict "name" $name "package" $svc.package "role" $role "cfg" $cfg) }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* The topics a service's consumer group reads (topics.yaml's readers). */}}
{{- define "crm.readTopics" -}}
{{- $out := list }}
{{- range (.root.Files.Get "topics.yaml" | fromYaml).topics }}
{{- if has $.name .readers }}{{ $out = append $out . }}{{ end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{- define "crm.secretName" -}}
{{- if .Values.devSecrets.enabled }}{{ printf "%s-dev-secrets" .Release.Name }}{{ else }}{{ .Values.secrets.existingSecret }}{{ end }}
{{- end }}

{{- define "crm.sealingSecretName" -}}
{{- if .Values.devSecrets.enabled }}{{ printf "%s-dev-secrets" .Release.Name }}{{ else }}{{ .Values.secrets.notifySealingKey.existingSecret }}{{ end }}
{{- end }}

{{/* The restricted Pod Security profile, for the pod and each container. */}}
{{- define "crm.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
seccompProfile: {type: RuntimeDefault}
{{- end }}

{{- define "crm.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities: {drop: [ALL]}
seccompProfile: {type: RuntimeDefault}
{{- end }}

{{/* Egress every pod of the release needs: DNS and the Kafka brokers. */}}
{{- define "crm.egressBase" -}}
{{- $np := .Values.networkPolicy -}}
- to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: {{ $np.dnsNamespace }}}}}]
  ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
- to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: {{ $np.kafka.namespace }}}}}]
  ports: [{{ range $i, $p := $np.kafka.ports }}{{ if $i }}, {{ end }}{port: {{ $p }}, protocol: TCP}{{ end }}]
{{- end }}
