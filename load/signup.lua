-- wrk script for load/run.sh: POST /signup with a unique id per request as the plan, which the sample tracks as the
-- event name (e_n), so the run can check that each tracked request reached Matomo exactly once. The email repeats (4,096
-- per wrk thread): the sample keeps every account in memory, and unique emails grew both apps' heaps by hundreds of
-- megabytes in a few minutes, whose collections then decided the figures (bench/NOTES.md). Writes the id of every
-- request sent, in order, to <dir>/ids-<prefix>-<thread>.txt, and one line per answer to <dir>/ans-<prefix>-<thread>.txt
-- ("2" for a 2xx, the status otherwise); load/exactly-once.sh compares them with what the receiver stored.
-- Each request carries what a browser's request carries (User-Agent, Accept-Language, Referer), from twelve visitors
-- in turn, so events spread over the sender's lanes as real traffic does, and the sender encodes real header values.
-- Arguments (after --): prefix, directory.
local profiles = {
  { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "en-US,en;q=0.9" },
  { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "de-DE,de;q=0.9,en;q=0.8" },
  { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "fr-FR,fr;q=0.9" },
  { "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "en-GB,en;q=0.5" },
  { "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "es-ES,es;q=0.9" },
  { "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "pt-BR,pt;q=0.9,en;q=0.8" },
  { "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "it-IT,it;q=0.8" },
  { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", "nl-NL,nl;q=0.9,en;q=0.8" },
  { "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", "ja-JP,ja;q=0.9" },
  { "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", "pl-PL,pl;q=0.9" },
  { "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36", "ko-KR,ko;q=0.9" },
  { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 OPR/115.0.0.0", "sv-SE,sv;q=0.9" },
}
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
  answers = io.open(dir .. "/ans-" .. prefix .. "-" .. tid .. ".txt", "w")
  answers:setvbuf("full", 512) -- load/paired.sh counts the answers per window: at most 256 behind
end

function request()
  counter = counter + 1
  local id = prefix .. "-" .. tid .. "-" .. counter
  local email = prefix .. "-" .. tid .. "-" .. (counter % 4096)
  local body = '{"email":"' .. email .. '@load.test","password":"pw","plan":"' .. id .. '"}'
  ids:write(id, "\n")
  local profile = profiles[counter % #profiles + 1]
  local headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = profile[1],
    ["Accept-Language"] = profile[2],
    ["Referer"] = "https://app.example.com/signup?plan=team",
  }
  return wrk.format("POST", "/signup", headers, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    answers:write("2\n")
  else
    answers:write(status, "\n")
  end
end
