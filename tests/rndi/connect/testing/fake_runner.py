"""A stand-in for ``cextrun``: a master process and two workers that speak the EaaS
conversation the way the real runner does, so the test kit's process handling is tested
on every Python, the real runner not needed.

    python fake_runner.py            master: starts both workers, exits when they do
    python fake_runner.py hang       master that never connects (a runner stuck at start)
    python fake_runner.py background|interactive    one worker
"""

import json
import os
import subprocess
import sys
import time

from websockets.sync.client import connect


def worker(runner_type):
    address = os.environ["SERVER_ADDRESS"]
    url = (f"ws://{address}/public/v1/devops/ws/{os.environ['ENVIRONMENT_ID']}/"
           f"{os.environ['INSTANCE_ID']}?running_tasks=0&runner_type={runner_type}")
    with connect(url) as socket:
        socket.send(json.dumps({"version": 2, "message_type": "setup_request", "data": {
            "event_subscriptions": {"asset_purchase_request_processing": ["pending"],
                                    "asset_purchase_request_validation": ["draft"]},
            "schedulables": [{"method": "nightly", "name": "Nightly",
                              "description": "Runs every night."}]}}))
        for raw in socket:
            message = json.loads(raw)
            kind = message["message_type"]
            if kind == "shutdown":
                return 0
            if kind == "task":
                task = message["data"]
                output = {"result": "success", "message": task["input"]["object_id"],
                          "instance": os.environ["INSTANCE_ID"]}
                category = task["options"]["task_category"]
                if category != "background":  # which worker got which kind of task
                    output.update(worker=runner_type, category=category)
                if category == "interactive":  # answer with the body it was sent
                    body = task["input"]["data"]
                    output["result"] = "fail" if body.get("refuse") else "success"
                    output["data"] = {"http_status": 400 if body.get("refuse") else 200,
                                      "headers": None, "body": body}
                task["output"] = output
                socket.send(json.dumps({"version": 2, "message_type": "task", "data": task}))
    return 0


def master():
    workers = [subprocess.Popen([sys.executable, __file__, role])
               for role in ("background", "interactive")]
    return max(process.wait() for process in workers)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "master"
    if mode == "hang":
        while True:
            time.sleep(60)
    sys.exit(master() if mode == "master" else worker(mode))
