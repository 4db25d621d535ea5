{{/*
The pod template every cohort service shares. Call with (dict "root" $ "service" name "config" dict
"secretEnv" list-of-dicts "fieldEnv" dict-of-key→fieldPath "processEnv" dict-of-name→value "volumes" list
"volumeMounts" list "gpus" int "gpuResourceName" string "serviceAccountName" string "affinity"
dict-overriding-the-block's). processEnv holds the few variables that are not config keys but steer the
runtime (TMPDIR); test/helm allows exactly those.
*/}}
{{- define "cohort.podTemplate" -}}
{{- $root := .root -}}
{{- $row := include "cohort.service" .service | fromYaml -}}
{{- $block := index $root.Values $row.key -}}
metadata:
  labels:
    {{- include "cohort.componentLabels" (dict "root" $root "component" .service) | nindent 4 }}
  annotations:
    {{- /* Restart pods when a chart-managed Secret changes. */}}
    checksum/secrets: {{ include (print $root.Template.BasePath "/secrets.yaml") $root | sha256sum }}
    {{- with $block.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- if .serviceAccountName }}
  serviceAccountName: {{ .serviceAccountName }}
  automountServiceAccountToken: true
  {{- else }}
  automountServiceAccountToken: false
  {{- end }}
  {{- with include "cohort.imagePullSecrets" $root | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: 30
  {{- with include "cohort.podScheduling" (dict "nodeSelector" $block.nodeSelector "tolerations" $block.tolerations "affinity" (.affinity | default $block.affinity)) | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  containers:
    - name: {{ .service }}
      image: {{ include "cohort.image" (dict "root" $root "service" .service) }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      ports:
        {{- include "cohort.containerPorts" .service | nindent 8 }}
      env:
        {{- include "cohort.env" (dict "root" $root "service" .service "config" .config) | trim | nindent 8 }}
        {{- range $key, $path := .fieldEnv }}
        - name: COHORT_{{ snakecase $key | upper }}
          valueFrom:
            fieldRef:
              fieldPath: {{ $path }}
        {{- end }}
        {{- range .secretEnv }}
        {{- include "cohort.secretEnv" . | nindent 8 }}
        {{- end }}
        {{- range $name, $value := .processEnv }}
        - name: {{ $name }}
          value: {{ $value | quote }}
        {{- end }}
      {{- include "cohort.probes" .service | nindent 6 }}
      resources:
        {{- $resources := deepCopy ($block.resources | default dict) }}
        {{- if .gpus }}
        {{- $limits := $resources.limits | default dict }}
        {{- $_ := set $limits .gpuResourceName .gpus }}
        {{- $_ := set $resources "limits" $limits }}
        {{- end }}
        {{- toYaml $resources | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- with .volumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- with .volumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* A Deployment of one service. Same arguments as cohort.podTemplate plus "replicas" and "strategy". */}}
{{- define "cohort.deployment" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "cohort.fullname" .root }}-{{ .service }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "cohort.componentLabels" (dict "root" .root "component" .service) | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" .replicas) }}
  replicas: {{ .replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- with .strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "cohort.selectorLabels" (dict "root" .root "component" .service) | nindent 6 }}
  template:
    {{- include "cohort.podTemplate" . | nindent 4 }}
{{- end -}}

{{/* The dataset volume and its mount, as (dict "volumes" list "volumeMounts" list), YAML. */}}
{{- define "cohort.datasetVolume" -}}
{{- if .Values.dataset.volume -}}
volumes:
  - {{ merge (dict "name" "dataset") (deepCopy .Values.dataset.volume) | toYaml | nindent 4 }}
volumeMounts:
  - name: dataset
    mountPath: {{ .Values.dataset.mountPath }}
    readOnly: true
{{- else -}}
volumes: []
volumeMounts: []
{{- end -}}
{{- end -}}
