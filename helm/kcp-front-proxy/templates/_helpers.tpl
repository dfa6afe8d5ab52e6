{{- define "kcp-front-proxy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kcp-front-proxy.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kcp-front-proxy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kcp-front-proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kcp-front-proxy.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kcp-front-proxy.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: front-proxy
{{- end -}}

{{- define "kcp-front-proxy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kcp-front-proxy.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kcp-front-proxy.mappingConfigMap" -}}
{{- default (printf "%s-mapping" (include "kcp-front-proxy.fullname" .)) .Values.existingMappingConfigMap -}}
{{- end -}}

{{/* The proxy's command line: upstream flags first, then our extensions, then extraArgs. toYaml quotes each. */}}
{{- define "kcp-front-proxy.args" -}}
{{- $v := .Values -}}
{{- $a := $v.authentication -}}
{{- $args := list "--bind-address=0.0.0.0" (printf "--secure-port=%v" $v.securePort) "--root-directory=/var/run/kcp-front-proxy" -}}
{{- $args = concat $args (list "--mapping-file=/etc/kcp-front-proxy/mapping/mapping.yaml" "--root-kubeconfig=/etc/kcp-front-proxy/root-kubeconfig/kubeconfig" "--shards-kubeconfig=/etc/kcp-front-proxy/shards-kubeconfig/kubeconfig") -}}
{{- range $i, $_ := $v.kubeconfigs.shardPeerSecrets }}{{ $args = append $args (printf "--shard-peer-kubeconfig=/etc/kcp-front-proxy/shard-peer-%d/kubeconfig" $i) }}{{ end -}}
{{- if $v.tls.servingSecret -}}
{{- $args = concat $args (list "--tls-cert-file=/etc/kcp-front-proxy/serving/tls.crt" "--tls-private-key-file=/etc/kcp-front-proxy/serving/tls.key") -}}
{{- end -}}
{{- if $v.tls.clientCASecret -}}
{{- $args = append $args "--client-ca-file=/etc/kcp-front-proxy/client-ca/ca.crt" -}}
{{- end -}}
{{- if $v.tls.requestheaderCASecret -}}
{{- $rh := $a.requestheader -}}
{{- $args = append $args "--requestheader-client-ca-file=/etc/kcp-front-proxy/requestheader-ca/ca.crt" -}}
{{- with $rh.usernameHeaders }}{{ $args = append $args (printf "--requestheader-username-headers=%s" (join "," .)) }}{{ end -}}
{{- with $rh.groupHeaders }}{{ $args = append $args (printf "--requestheader-group-headers=%s" (join "," .)) }}{{ end -}}
{{- with $rh.extraHeadersPrefix }}{{ $args = append $args (printf "--requestheader-extra-headers-prefix=%s" (join "," .)) }}{{ end -}}
{{- with $rh.uidHeaders }}{{ $args = append $args (printf "--requestheader-uid-headers=%s" (join "," .)) }}{{ end -}}
{{- with $rh.allowedNames }}{{ $args = append $args (printf "--requestheader-allowed-names=%s" (join "," .)) }}{{ end -}}
{{- end -}}
{{- if $a.tokenAuthSecret -}}
{{- $args = append $args "--token-auth-file=/etc/kcp-front-proxy/token-auth/token.csv" -}}
{{- end -}}
{{- $o := $a.oidc -}}
{{- if $o.issuerURL -}}
{{- $args = concat $args (list (printf "--oidc-issuer-url=%s" $o.issuerURL) (printf "--oidc-client-id=%s" $o.clientID) (printf "--oidc-username-claim=%s" $o.usernameClaim) (printf "--oidc-signing-algs=%s" (join "," $o.signingAlgs))) -}}
{{- with $o.usernamePrefix }}{{ $args = append $args (printf "--oidc-username-prefix=%s" .) }}{{ end -}}
{{- with $o.groupsClaim }}{{ $args = append $args (printf "--oidc-groups-claim=%s" .) }}{{ end -}}
{{- with $o.groupsPrefix }}{{ $args = append $args (printf "--oidc-groups-prefix=%s" .) }}{{ end -}}
{{- range $k, $val := $o.requiredClaims }}{{ $args = append $args (printf "--oidc-required-claim=%s=%s" $k $val) }}{{ end -}}
{{- if $o.caSecret }}{{ $args = append $args "--oidc-ca-file=/etc/kcp-front-proxy/oidc-ca/ca.crt" }}{{ end -}}
{{- end -}}
{{- $sa := $a.serviceAccount -}}
{{- if $sa.keySecret -}}
{{- range $sa.keySecretKeys }}{{ $args = append $args (printf "--service-account-key-file=/etc/kcp-front-proxy/service-account-keys/%s" .) }}{{ end -}}
{{- end -}}
{{- range $sa.issuers }}{{ $args = append $args (printf "--service-account-issuer=%s" .) }}{{ end -}}
{{- $args = append $args (printf "--service-account-lookup=%t" $sa.lookup) -}}
{{- with $sa.apiAudiences }}{{ $args = append $args (printf "--api-audiences=%s" (join "," .)) }}{{ end -}}
{{- with $a.passOnGroups }}{{ $args = append $args (printf "--authentication-pass-on-groups=%s" (join "," .)) }}{{ end -}}
{{- if kindIs "slice" $a.dropGroups }}{{ $args = append $args (printf "--authentication-drop-groups=%s" (join "," $a.dropGroups)) }}{{ end -}}
{{- with $v.corsAllowedOrigins }}{{ $args = append $args (printf "--cors-allowed-origins=%s" (join "," .)) }}{{ end -}}
{{- $args = concat $args (list (printf "--v=%v" $v.verbosity) (printf "--logging-format=%s" $v.loggingFormat)) -}}
{{- $args = concat $args (list (printf "--shutdown-delay-duration=%vs" $v.shutdown.delaySeconds) (printf "--shutdown-timeout=%vs" $v.shutdown.timeoutSeconds) (printf "--shard-sync-timeout=%vs" $v.shardSyncTimeoutSeconds)) -}}
{{- if $v.goawayChance }}{{ $args = append $args (printf "--goaway-chance=%v" $v.goawayChance) }}{{ end -}}
{{- $args = append $args (printf "--backend-protocol=%s" (ternary "http2" ($v.backendProtocol | default "auto") (eq $v.backendHttp2 true))) -}}
{{- $args = append $args (printf "--backend-max-connections=%v" $v.backendMaxConnections) -}}
{{- $args = append $args (printf "--workers=%v" (include "kcp-front-proxy.workers" $v)) -}}
{{- $args = concat $args (list (printf "--backend-queue-size=%v" $v.backendQueue.size) (printf "--backend-queue-timeout=%vs" $v.backendQueue.timeoutSeconds)) -}}
{{- $args = concat $args (list (printf "--enable-fair-queuing=%v" $v.fairQueuing.enabled) (printf "--fair-queuing-flow-key=%s" $v.fairQueuing.flowKey) (printf "--fair-queuing-queue-length=%v" $v.fairQueuing.queueLength)) -}}
{{- $args = concat $args (list (printf "--request-body-timeout=%vs" $v.requestBody.timeoutSeconds) (printf "--request-body-buffer-size=%v" (int64 $v.requestBody.bufferBytes))) -}}
{{- if $v.metrics.port }}{{ $args = append $args (printf "--metrics-bind-address=0.0.0.0:%v" $v.metrics.port) }}{{ end -}}
{{- if $v.tracing.enabled }}{{ $args = append $args "--tracing-config-file=/etc/kcp-front-proxy/tracing/tracing.yaml" }}{{ end -}}
{{- $args = concat $args $v.extraArgs -}}
{{- toYaml $args -}}
{{- end -}}

{{/*
--workers: the value, else CPUs from resources (limit, else request; a quantity such as 250m,
1.5 or 2, rounded up, at least 1), else 1.
*/}}
{{- define "kcp-front-proxy.workers" -}}
{{- if not (kindIs "invalid" .workers) -}}
{{- .workers -}}
{{- else -}}
{{- $r := .resources | default dict -}}
{{- $cpu := toString (dig "limits" "cpu" (dig "requests" "cpu" "1" $r) $r) -}}
{{- $n := ternary (divf (trimSuffix "m" $cpu | float64) 1000) ($cpu | float64) (hasSuffix "m" $cpu) -}}
{{- max 1 (int (ceil $n)) -}}
{{- end -}}
{{- end -}}

{{/* The tracing ConfigMap: the user's, or the one rendered from tracing.endpoint and samplingRatePerMillion. */}}
{{- define "kcp-front-proxy.tracingConfigMap" -}}
{{- default (printf "%s-tracing" (include "kcp-front-proxy.fullname" .)) .Values.tracing.existingConfigMap -}}
{{- end -}}
