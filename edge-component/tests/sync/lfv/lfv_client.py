"""A Lookout for Vision edge agent client, written the way such clients are (after AWS's sample code):
DescribeModel; StartModel when the model is STOPPED; DescribeModel every second while it is STARTING;
fail on FAILED; then DetectAnomalies with the image as packed RGB888, inline (asking for the mask) and
through POSIX shared memory.

    PYTHONPATH=<folder with edge_agent_pb2*.py> python lfv_client.py <socket path> <model component>

The stubs come from the proto: python -m grpc_tools.protoc -I edge-component/proto --python_out=<folder>
--grpc_python_out=<folder> edge-agent.proto. Prints one JSON object with what it saw (python-client.test.ts
reads it). Needs only grpcio and protobuf; a real client would read a camera image, e.g. with Pillow:
Image.open(path).convert("RGB").tobytes().
"""

import json
import sys
import time
from multiprocessing import shared_memory

import edge_agent_pb2 as pb2
import edge_agent_pb2_grpc as pb2_grpc
import grpc
from google.protobuf.json_format import MessageToDict

WIDTH, HEIGHT = 96, 64


def wait_until_running(stub, component, seen):
    """StartModel if STOPPED, then poll DescribeModel every second while STARTING."""
    request = pb2.DescribeModelRequest(model_component=component)
    status = stub.DescribeModel(request).model_description.status
    seen.append(pb2.ModelStatus.Name(status))
    if status == pb2.STOPPED:
        started = stub.StartModel(pb2.StartModelRequest(model_component=component))
        seen.append("StartModel:" + pb2.ModelStatus.Name(started.status))
        status = started.status
    while status == pb2.STARTING:
        time.sleep(1)
        status = stub.DescribeModel(request).model_description.status
        seen.append(pb2.ModelStatus.Name(status))
    if status == pb2.FAILED:
        raise RuntimeError(f"model {component} failed to start")
    if status != pb2.RUNNING:
        raise RuntimeError(f"model {component} is {pb2.ModelStatus.Name(status)}")


def result_dict(response):
    result = MessageToDict(
        response.detect_anomaly_result,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    mask = response.detect_anomaly_result.anomaly_mask
    if mask.byte_data:
        result["anomaly_mask"]["byte_data"] = len(mask.byte_data)
    return result


def main(socket_path, component):
    image = bytes((i * 7) & 0xFF for i in range(WIDTH * HEIGHT * 3))
    seen = []
    with grpc.insecure_channel(f"unix://{socket_path}") as channel:
        stub = pb2_grpc.EdgeAgentStub(channel)
        wait_until_running(stub, component, seen)

        inline = stub.DetectAnomalies(
            pb2.DetectAnomaliesRequest(
                model_component=component,
                bitmap=pb2.Bitmap(width=WIDTH, height=HEIGHT, byte_data=image),
                anomaly_mask_params=pb2.AnomalyMaskParams(),
            )
        )

        shm = shared_memory.SharedMemory(create=True, size=len(image))
        try:
            shm.buf[: len(image)] = image
            handle = pb2.SharedMemoryHandle(name=shm.name, size=len(image), offset=0)
            shared = stub.DetectAnomalies(
                pb2.DetectAnomaliesRequest(
                    model_component=component,
                    bitmap=pb2.Bitmap(width=WIDTH, height=HEIGHT, shared_memory_handle=handle),
                )
            )
        finally:
            shm.close()
            shm.unlink()

        try:
            stub.DescribeModel(pb2.DescribeModelRequest(model_component="no.such.Model"))
            unknown = "OK"
        except grpc.RpcError as err:
            unknown = err.code().name

    print(
        json.dumps(
            {
                "statuses": seen,
                "inline": result_dict(inline),
                "shared_memory": result_dict(shared),
                "unknown_model": unknown,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
