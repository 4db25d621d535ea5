{{/*
Names, labels, the role → services table and the COHORT_* environment. Service names are the binaries'
(docs/architecture.md); values blocks are their camelCase twins.
*/}}

{{- define "cohort.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cohort.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels shared by every object of the release. */}}
{{- define "cohort.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "cohort.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cohort
cohort.dev/role: {{ .Values.role }}
{{- end -}}

{{/* Selector of every pod of the release (NetworkPolicies). */}}
{{- define "cohort.releaseSelector" -}}
app.kubernetes.io/name: {{ include "cohort.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector of one component's pods. Call with (dict "root" $ "component" "coordinator"). */}}
{{- define "cohort.selectorLabels" -}}
{{ include "cohort.releaseSelector" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "cohort.componentLabels" -}}
{{ include "cohort.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
The services: values key, default gRPC and metrics ports (the binaries' defaults), whether they use NATS.
*/}}
{{- define "cohort.serviceTable" -}}
coordinator: { key: coordinator, grpcPort: 50051, metricsPort: 9101, nats: true }
chain-bridge: { key: chainBridge, grpcPort: 50052, metricsPort: 9102, nats: true }
checkpoint-store: { key: checkpointStore, grpcPort: 50053, metricsPort: 9103, nats: false }
compressor: { key: compressor, grpcPort: 50054, metricsPort: 9104, nats: false }
gpu-worker: { key: gpuWorker, grpcPort: 50055, metricsPort: 9105, nats: false }
aggregator: { key: aggregator, grpcPort: 50056, metricsPort: 9106, nats: true }
gauntlet-evaluator: { key: gauntletEvaluator, grpcPort: 50057, metricsPort: 9107, nats: true }
{{- end -}}

{{/* One service's row of the table. Call with the service name. */}}
{{- define "cohort.service" -}}
{{- $table := include "cohort.serviceTable" . | fromYaml -}}
{{- get $table . | toYaml -}}
{{- end -}}

{{/* The services the role runs, as a YAML list (docs/architecture.md). */}}
{{- define "cohort.roleServices" -}}
{{- $services := list "chain-bridge" "checkpoint-store" -}}
{{- if .Values.compressor.enabled -}}
{{- $services = append $services "compressor" -}}
{{- end -}}
{{- if eq .Values.role "miner" -}}
{{- $services = concat $services (list "coordinator" "gpu-worker") -}}
{{- else if eq .Values.role "validator" -}}
{{- $services = concat $services (list "coordinator" "gauntlet-evaluator") -}}
{{- else if eq .Values.role "aggregator" -}}
{{- $services = append $services "aggregator" -}}
{{- end -}}
{{- $services | sortAlpha | toYaml -}}
{{- end -}}

{{/* "true" when the role runs the service. Call with (dict "root" $ "service" "gpu-worker"). */}}
{{- define "cohort.enabled" -}}
{{- if has .service (include "cohort.roleServices" .root | fromYamlArray) -}}true{{- end -}}
{{- end -}}

{{- define "cohort.image" -}}
{{- $block := index .root.Values (include "cohort.service" .service | fromYaml).key -}}
{{- $repository := printf "%s/%s" .root.Values.image.repository .service -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- with $block.image -}}
{{- $repository = default $repository .repository -}}
{{- $tag = default $tag .tag -}}
{{- end -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}

{{/* host:port of a service of this release. Call with (dict "root" $ "service" "checkpoint-store"). */}}
{{- define "cohort.address" -}}
{{- $row := include "cohort.service" .service | fromYaml -}}
{{- printf "%s-%s:%v" (include "cohort.fullname" .root) .service (int $row.grpcPort) -}}
{{- end -}}

{{- define "cohort.natsUrls" -}}
{{- if .Values.nats.url -}}
{{- join "," .Values.nats.url -}}
{{- else if .Values.nats.enabled -}}
{{- printf "nats://%s-nats:4222" (include "cohort.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "cohort.hotkeySecret" -}}
{{- default (printf "%s-hotkey" (include "cohort.fullname" .)) .Values.hotkey.existingSecret -}}
{{- end -}}

{{- define "cohort.bucketSecret" -}}
{{- default (printf "%s-bucket" (include "cohort.fullname" .)) .Values.storage.existingSecret -}}
{{- end -}}

{{- define "cohort.natsSecret" -}}
{{- default (printf "%s-nats" (include "cohort.fullname" .)) .Values.nats.auth.existingSecret -}}
{{- end -}}

{{/* A config value as its env string: lists comma-joined, whole numbers without an exponent. */}}
{{- define "cohort.envValue" -}}
{{- if kindIs "slice" . -}}
{{- join "," . -}}
{{- else if kindIs "float64" . -}}
{{- if eq (float64 (int64 .)) . -}}{{ int64 . }}{{- else -}}{{ . }}{{- end -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/*
Plain env entries from a map of config keys (camelCase, as in docs/configuration.md) to values: the name
is the key's env twin, COHORT_<KEY_IN_SNAKE_CASE>. Empty and null values are left out (the default holds).
*/}}
{{- define "cohort.envFromConfig" -}}
{{- range $key, $value := . }}
{{- if not (or (kindIs "invalid" $value) (eq (toString $value) "")) }}
- name: COHORT_{{ snakecase $key | upper }}
  value: {{ include "cohort.envValue" $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
A secret config key read from a Secret. Call with (dict "key" "hotkeySeed" "secret" name "secretKey" k
"optional" bool).
*/}}
{{- define "cohort.secretEnv" -}}
- name: COHORT_{{ snakecase .key | upper }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .secretKey }}
      optional: {{ .optional }}
{{- end -}}

{{/*
The full env of a service: the common keys, the chart-owned keys in .config, then the block's `config`
(which wins), then the NATS token when NATS auth is configured. Call with (dict "root" $ "service" name
"config" dict).
*/}}
{{- define "cohort.env" -}}
{{- $root := .root -}}
{{- $row := include "cohort.service" .service | fromYaml -}}
{{- $block := index $root.Values $row.key -}}
{{- $common := dict "runId" $root.Values.run.id "grpcHost" "0.0.0.0" "grpcPort" $row.grpcPort "metricsHost" "0.0.0.0" "metricsPort" $row.metricsPort "logLevel" $root.Values.logLevel -}}
{{- if $row.nats -}}
{{- $_ := set $common "natsUrl" (include "cohort.natsUrls" $root) -}}
{{- end -}}
{{- $merged := merge (deepCopy ($block.config | default dict)) (deepCopy .config) $common -}}
{{- include "cohort.envFromConfig" $merged }}
{{- if and $row.nats (or $root.Values.nats.auth.existingSecret $root.Values.nats.auth.token) }}
{{ include "cohort.secretEnv" (dict "key" "natsToken" "secret" (include "cohort.natsSecret" $root) "secretKey" $root.Values.nats.auth.secretKey "optional" false) }}
{{- end }}
{{- end -}}

{{/* Ports of a service's container. */}}
{{- define "cohort.containerPorts" -}}
{{- $row := include "cohort.service" . | fromYaml -}}
- name: grpc
  containerPort: {{ $row.grpcPort }}
  protocol: TCP
- name: metrics
  containerPort: {{ $row.metricsPort }}
  protocol: TCP
{{- end -}}

{{/*
Probes: readiness and start-up on the grpc.health.v1 service (NOT_SERVING until the service's
dependencies are up, so traffic waits for them); liveness on /healthz, which only says the process
answers, so a NATS outage does not restart every pod.
*/}}
{{- define "cohort.probes" -}}
{{- $row := include "cohort.service" . | fromYaml -}}
startupProbe:
  grpc:
    port: {{ $row.grpcPort }}
  periodSeconds: 5
  failureThreshold: 120
readinessProbe:
  grpc:
    port: {{ $row.grpcPort }}
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
livenessProbe:
  httpGet:
    path: /healthz
    port: metrics
  periodSeconds: 20
  timeoutSeconds: 5
  failureThreshold: 6
{{- end -}}

{{/* Scheduling and pod-level fields of a service block. */}}
{{- define "cohort.podScheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "cohort.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The Service in front of a component (headless for the gpu-worker StatefulSet). */}}
{{- define "cohort.serviceObject" -}}
{{- $row := include "cohort.service" .service | fromYaml -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "cohort.fullname" .root }}-{{ .service }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "cohort.componentLabels" (dict "root" .root "component" .service) | nindent 4 }}
spec:
  {{- if .headless }}
  clusterIP: None
  publishNotReadyAddresses: false
  {{- end }}
  selector:
    {{- include "cohort.selectorLabels" (dict "root" .root "component" .service) | nindent 4 }}
  ports:
    - name: grpc
      port: {{ $row.grpcPort }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    - name: metrics
      port: {{ $row.metricsPort }}
      targetPort: metrics
      protocol: TCP
{{- end -}}

{{- define "cohort.coordinatorServiceAccount" -}}
{{- if .Values.coordinator.serviceAccount.create -}}
{{- default (printf "%s-coordinator" (include "cohort.fullname" .)) .Values.coordinator.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.coordinator.serviceAccount.name -}}
{{- end -}}
{{- end -}}
