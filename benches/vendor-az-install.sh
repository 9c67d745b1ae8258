#!/usr/bin/env bash
# The sample install (tests/it/fixtures/sample.yaml) done the way the vendor's own installer
# does it: Azure CLI commands one after another, then kubectl. Benchmark 2 runs it against the
# ARM simulator and compares it with the console; nothing here is used by the console itself.
#
# Needs: AZ (an az logged in to the target cloud), KUBECTL, MANIFESTS (the objects the console
# would apply, from `katonic-console manifests`, without the verification probes), SSH_KEY (a
# public key file), WORK (a scratch directory). Prints one line per command: seconds, command.
set -euo pipefail
: "${AZ:?}" "${KUBECTL:=kubectl}" "${MANIFESTS:?}" "${SSH_KEY:?}" "${WORK:?}"
RG=rg-katonic-prod L=eastus CLUSTER=katonic-prod VNET=vnet-katonic-prod
SUFFIX=${SUFFIX:-$RANDOM}
STORAGE=stkatonic$SUFFIX ACR=acrkatonic$SUFFIX

run() {
  local started=$EPOCHREALTIME
  "$@" >"$WORK/last.out"
  awk -v a="$started" -v b="$EPOCHREALTIME" -v c="${*:1:6}" 'BEGIN { printf "%.3f %s\n", b - a, c }' |
    sed "s|$AZ|az|; s|$KUBECTL|kubectl|"
}
out() { "$@" -o tsv; }

# Providers first (a new subscription has none of them registered).
for ns in Microsoft.Network Microsoft.Storage Microsoft.ContainerRegistry \
  Microsoft.ContainerService Microsoft.ManagedIdentity Microsoft.Compute; do
  run "$AZ" provider register -n "$ns" --wait -o none
done
run "$AZ" group create -n $RG -l $L -o none

# Network: the NSG, the VNet with the AKS subnet (/26) and the jumphost subnet (/29).
run "$AZ" network nsg create -g $RG -n nsg-katonic-prod -o none
run "$AZ" network vnet create -g $RG -n $VNET --address-prefixes 10.20.0.0/16 \
  --subnet-name snet-aks --subnet-prefixes 10.20.0.0/26 --network-security-group nsg-katonic-prod -o none
run "$AZ" network vnet subnet create -g $RG --vnet-name $VNET -n snet-jumphost \
  --address-prefixes 10.20.0.64/29 -o none
SUBNET=$(out "$AZ" network vnet subnet show -g $RG --vnet-name $VNET -n snet-aks --query id)

# The cluster identity, allowed to place NICs and load balancers in the subnet.
run "$AZ" identity create -g $RG -n id-katonic-prod -o none
IDENTITY=$(out "$AZ" identity show -g $RG -n id-katonic-prod --query id)
PRINCIPAL=$(out "$AZ" identity show -g $RG -n id-katonic-prod --query principalId)
run "$AZ" role assignment create --assignee-object-id "$PRINCIPAL" \
  --assignee-principal-type ServicePrincipal --role "Network Contributor" --scope "$SUBNET" -o none

# Storage (datasets, backups, the kfs-shared file share) and the registry.
run "$AZ" storage account create -g $RG -n "$STORAGE" -l $L --sku Standard_LRS --kind StorageV2 \
  --min-tls-version TLS1_2 --allow-blob-public-access false -o none
run "$AZ" storage container-rm create -g $RG --storage-account "$STORAGE" -n datasets -o none
run "$AZ" storage container-rm create -g $RG --storage-account "$STORAGE" -n backups -o none
run "$AZ" storage share-rm create -g $RG --storage-account "$STORAGE" -n kfs-shared --quota 100 -o none
run "$AZ" acr create -g $RG -n "$ACR" --sku Standard -o none

# The private cluster with its platform (system) pool, then the compute and GPU pools.
run "$AZ" aks create -g $RG -n $CLUSTER -l $L --tier standard --enable-private-cluster \
  --network-plugin azure --network-plugin-mode overlay --network-policy azure \
  --pod-cidr 192.168.0.0/16 --service-cidr 172.16.0.0/16 --dns-service-ip 172.16.0.10 \
  --vnet-subnet-id "$SUBNET" --assign-identity "$IDENTITY" --zones 1 2 \
  --nodepool-name platform --node-count 2 --node-vm-size Standard_DS3_v2 \
  --nodepool-labels katonic.ai/node-pool=platform --ssh-key-value "$SSH_KEY" --yes -o none
run "$AZ" aks nodepool add -g $RG --cluster-name $CLUSTER -n compute --node-vm-size Standard_D8s_v3 \
  --enable-cluster-autoscaler --min-count 1 --max-count 4 --node-count 1 --zones 1 2 \
  --labels katonic.ai/node-pool=compute --vnet-subnet-id "$SUBNET" -o none
run "$AZ" aks nodepool add -g $RG --cluster-name $CLUSTER -n gpu --node-vm-size Standard_NC4as_T4_v3 \
  --enable-cluster-autoscaler --min-count 0 --max-count 2 --node-count 0 --zones 1 2 \
  --labels katonic.ai/node-pool=gpu --node-taints sku=gpu:NoSchedule --vnet-subnet-id "$SUBNET" -o none

# Grants: the nodes pull from the registry; the Files driver manages shares.
KUBELET=$(out "$AZ" aks show -g $RG -n $CLUSTER --query identityProfile.kubeletidentity.objectId)
run "$AZ" role assignment create --assignee-object-id "$KUBELET" --assignee-principal-type ServicePrincipal \
  --role AcrPull --scope "$(out "$AZ" acr show -g $RG -n "$ACR" --query id)" -o none
run "$AZ" role assignment create --assignee-object-id "$PRINCIPAL" --assignee-principal-type ServicePrincipal \
  --role "Storage Account Contributor" \
  --scope "$(out "$AZ" storage account show -g $RG -n "$STORAGE" --query id)" -o none

# The cluster: credentials, the objects, a certificate, then wait for the platform and the
# load balancer's address.
run "$AZ" aks get-credentials -g $RG -n $CLUSTER --admin -f "$WORK/kubeconfig" --overwrite-existing
export KUBECONFIG=$WORK/kubeconfig
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=katonic.example.com" \
  -addext "subjectAltName=DNS:katonic.example.com,DNS:dash-katonic.example.com,DNS:connectors-katonic.example.com" \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
# --validate=false: the Kubernetes simulator serves no OpenAPI document to validate against.
run "$KUBECTL" apply --validate=false -f "$MANIFESTS"
"$KUBECTL" -n katonic create secret tls katonic-tls --cert "$WORK/tls.crt" --key "$WORK/tls.key" \
  --dry-run=client -o yaml >"$WORK/tls-secret.yaml"
run "$KUBECTL" apply --validate=false -f "$WORK/tls-secret.yaml"
run "$KUBECTL" -n katonic-system wait --for=condition=complete job/katonic-platform-installer --timeout=600s
run "$KUBECTL" -n katonic-ingress wait --for=jsonpath='{.status.loadBalancer.ingress[0].ip}' \
  service/katonic-ingress-lb --timeout=600s
