#!/bin/sh
# Assembles Asterisk's whole /etc/asterisk for the compose stack into the folder $1 (the asterisk-etc
# volume). Run by compose's one-shot `asterisk-config` service inside the ivr image, so the generated
# files come from the same queues.yaml and ivr.yaml the workers load:
#   1. the lab's static files (this folder: asterisk.conf, modules.conf, pjsip.conf, manager.conf...);
#   2. dialplan/extensions_ivr.conf unchanged (shipped in the image);
#   3. `ivr asterisk-config`: queues.conf, queuerules.conf, extensions_ivr_queues.conf, manager_ivr.conf;
#   4. the secrets Asterisk cannot read from the environment: the AMI user's secret (IVR_AMI_SECRET)
#      and the lab phones' SIP password (LAB_SIP_PASSWORD).
set -eu
out="$1"
here="$(dirname "$0")"
: "${IVR_AMI_SECRET:?IVR_AMI_SECRET is not set}"
: "${LAB_SIP_PASSWORD:?LAB_SIP_PASSWORD is not set}"
: "${IVR_AMI_PERMIT:?IVR_AMI_PERMIT is not set (the workers network, e.g. 172.28.0.0/255.255.255.0)}"

cp "$here"/*.conf "$out"/
cp /usr/share/hotline-ivr/asterisk/extensions_ivr.conf "$out"/
ivr asterisk-config --out "$out" --ami-permit "$IVR_AMI_PERMIT" --callback-dial 'PJSIP/{number}'

umask 022  # Asterisk reads these as its own user; the volume is mounted only into asterisk and here
ami_user=$(python3 -c 'from pathlib import Path; from ivr.config import load_service_config as load
print(load(Path("config/ivr.yaml")).ami.username)')
printf '[%s](ivr-service)\nsecret = %s\n' "$ami_user" "$IVR_AMI_SECRET" > "$out/manager_ivr_secret.conf.tmp"
mv "$out/manager_ivr_secret.conf.tmp" "$out/manager_ivr_secret.conf"
{
    echo "; written by assemble.sh from LAB_SIP_PASSWORD"
    for phone in 6001 1001 1002 1003 1004 1005; do
        printf '[%s]\ntype = auth\nauth_type = userpass\nusername = %s\npassword = %s\n\n' \
            "$phone" "$phone" "$LAB_SIP_PASSWORD"
    done
} > "$out/pjsip_lab_auth.conf.tmp"
mv "$out/pjsip_lab_auth.conf.tmp" "$out/pjsip_lab_auth.conf"
echo "assemble.sh: $(ls "$out" | wc -l) files in $out"
