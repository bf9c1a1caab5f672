#!/bin/sh
# One Kafka node (KRaft, broker + controller) in a container: writes $KAFKA_PROPERTIES to a file,
# formats the storage unless a previous start of this container already did (a restarted
# container keeps its data), then runs the broker. Arguments: the JVM options.
set -eu
printf '%s\n' "$KAFKA_PROPERTIES" > /tmp/server.properties
java "$@" kafka.tools.StorageTool format --ignore-formatted -t "$KAFKA_CLUSTER_ID" -c /tmp/server.properties
exec java "$@" kafka.Kafka /tmp/server.properties
