-- wrk script for load/run.sh: POST /signup with a unique id per request (as the email and as the plan, which the
-- sample tracks as the event name e_n), and records the id of every 2xx answer (read back from its Location header)
-- into <dir>/ids-<prefix>-<thread>.txt, so the run can check that each one reached Matomo exactly once.
-- Arguments (after --): prefix, directory.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  prefix = args[1] or "run"
  local dir = args[2] or "/tmp"
  counter = 0
  ids = io.open(dir .. "/ids-" .. prefix .. "-" .. tid .. ".txt", "w")
  ids:setvbuf("full")
end

function request()
  counter = counter + 1
  local id = prefix .. "-" .. tid .. "-" .. counter
  local body = '{"email":"' .. id .. '@load.test","password":"pw","plan":"' .. id .. '"}'
  return wrk.format("POST", "/signup", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    local location = headers["Location"] or headers["location"]
    if location then
      local id = location:match("/accounts/(.-)%%40")
      if id then
        ids:write(id, "\n")
      end
    end
  end
end
