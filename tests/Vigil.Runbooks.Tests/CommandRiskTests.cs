using Vigil.Runbooks.Risk;

namespace Vigil.Runbooks.Tests;

public sealed class CommandRiskTests
{
    private const string R = "read-only";
    private const string M = "mutating";
    private const string D = "destructive";

    /// <summary>Commands of every tool the runbooks use, as operations teams write them, and the class each must get.</summary>
    public static TheoryData<string, string?, string> Commands => new()
    {
        // Shell syntax: what a loop, a condition or a subshell runs decides.
        { "for i in 1 2 3; do curl -fsS http://127.0.0.1:8000/health; sleep 1; done", null, R },
        { "for f in /var/log/app/*.gz; do rm -f \"$f\"; done", null, D },
        { "while true; do redis-cli LLEN celery; sleep 5; done", null, R },
        { "if systemctl is-active --quiet nginx; then echo up; else systemctl restart nginx; fi", null, M },
        { "(cd /srv/app && git status)", null, R },
        { "(sleep 300 & echo $! > /tmp/bg.pid); sleep 300", null, M },
        { "{ df -h; free -m; }", null, R },
        // Files and text.
        { "ls -la /var/log", null, R },
        { "cat /etc/hosts", null, R },
        { "tail -f /var/log/syslog", null, R },
        { "grep -r ERROR /var/log/app | head -20", null, R },
        { "du -sh /var/lib/docker", null, R },
        { "df -h", null, R },
        { "find /var/log -name '*.log' -mtime +7", null, R },
        { "find /var/log -name '*.gz' -mtime +30 -delete", null, D },
        { "find /tmp -type f -mtime +3 -exec rm {} \\;", null, D },
        { "rm -rf /var/lib/app/cache", null, D },
        { "rm /tmp/app.lock", null, D },
        { "sudo rm -rf /opt/old-release", null, D },
        { "truncate -s 0 /var/log/app.log", null, D },
        { "echo '' > /var/log/app.log", null, M },
        { "echo hello > /dev/null", null, R },
        { "cp config.yml config.yml.bak", null, M },
        { "mv app.log app.log.1", null, M },
        { "mkdir -p /backups/2026", null, M },
        { "chmod 600 ~/.pgpass", null, M },
        { "chown -R app:app /srv/app", null, M },
        { "sed -n '1,20p' app.conf", null, R },
        { "sed -i 's/debug/info/' app.conf", null, M },
        { "tar -czf backup.tar.gz /srv/data", null, M },
        { "tar -tzf backup.tar.gz", null, R },
        { "gzip -c dump.sql > dump.sql.gz", null, M },
        { "zcat dump.sql.gz | head", null, R },
        { "wc -l /var/log/nginx/access.log", null, R },
        { "awk '{print $9}' access.log | sort | uniq -c | sort -rn", null, R },
        { "jq '.items[] | .name' pods.json", null, R },
        { "tee /etc/app/feature.conf < feature.conf", null, M },
        { "rsync -av /srv/data/ backup:/srv/data/", null, M },
        { "rsync -av --delete /srv/data/ backup:/srv/data/", null, D },
        { "dd if=/dev/zero of=/dev/sdb bs=1M", null, D },
        { "dd if=/dev/sda of=disk.img", null, M },
        { "shred -u secrets.txt", null, D },
        { "mkfs.ext4 /dev/sdb1", null, D },
        { "stat /var/lib/postgresql/data", null, R },
        { "ls /backups | tail -1", null, R },

        // Processes, services, the machine.
        { "ps aux | grep celery", null, R },
        { "top -b -n 1 | head -20", null, R },
        { "free -m", null, R },
        { "uptime", null, R },
        { "kill -9 12345", null, M },
        { "pkill -f 'celery worker'", null, M },
        { "systemctl status nginx", null, R },
        { "systemctl is-active postgresql", null, R },
        { "sudo systemctl restart nginx", null, M },
        { "systemctl stop app.service", null, M },
        { "systemctl daemon-reload", null, M },
        { "service redis-server status", null, R },
        { "service redis-server restart", null, M },
        { "journalctl -u app --since '1 hour ago'", null, R },
        { "journalctl --vacuum-time=7d", null, M },
        { "sudo reboot", null, M },
        { "dmesg | tail", null, R },
        { "lsof -i :8000", null, R },
        { "ss -tlnp", null, R },
        { "netstat -an | grep 5432", null, R },
        { "sysctl vm.overcommit_memory", null, R },
        { "sysctl -w vm.overcommit_memory=1", null, M },
        { "ip addr show", null, R },
        { "ip route add 10.0.0.0/8 via 10.1.1.1", null, M },
        { "iptables -L -n", null, R },
        { "iptables -A INPUT -p tcp --dport 22 -j ACCEPT", null, M },
        { "ufw status", null, R },
        { "crontab -l", null, R },
        { "crontab -r", null, D },
        { "nginx -t", null, R },
        { "sudo nginx -s reload", null, M },
        { "date", null, R },
        { "hostname", null, R },

        // Wrappers.
        { "sudo -u postgres psql -c 'SELECT 1'", null, R },
        { "sudo -u postgres psql -c 'DROP DATABASE app'", null, D },
        { "env PGPASSWORD=x psql -h db -c 'select count(*) from jobs;'", null, R },
        { "PGPASSWORD=secret psql -h localhost -U app -c \"VACUUM ANALYZE jobs\"", null, M },
        { "timeout 10 curl -s http://localhost:8000/health", null, R },
        { "watch -n 5 'docker compose ps'", null, R },
        { "watch -n 1 kubectl get pods", null, R },
        { "nohup ./start.sh &", null, M },
        { "bash -c 'ls /tmp && rm -rf /tmp/build'", null, D },
        { "sh -c 'cat /etc/os-release'", null, R },
        { "curl -fsSL https://get.example.com/install.sh | bash", null, M },
        { "ssh db1 'df -h'", null, R },
        { "ssh -i ~/.ssh/key ops@db1 'sudo systemctl restart postgresql'", null, M },
        { "ssh db1", null, M },
        { "su - postgres -c 'psql -c \"SELECT now()\"'", null, R },
        { "docker compose exec backend python manage.py showmigrations", null, R },
        { "docker compose exec -T db psql -U app -c 'SELECT count(*) FROM tasks'", null, R },
        { "docker compose exec db psql -U app -c 'TRUNCATE tasks'", null, D },
        { "docker exec -it redis redis-cli INFO memory", null, R },
        { "docker exec redis redis-cli FLUSHALL", null, D },
        { "kubectl exec -it api-7d9f -- cat /etc/config.yaml", null, R },
        { "kubectl exec api-7d9f -n prod -- rm -rf /tmp/cache", null, D },
        { "redis-cli --scan --pattern 'session:*' | xargs redis-cli DEL", null, D },
        { "redis-cli KEYS 'cache:*' | xargs -n 100 redis-cli del", null, D },
        { "cat ids.txt | xargs -I {} curl -X POST http://api/retry/{}", null, M },

        // Docker and compose.
        { "docker ps", null, R },
        { "docker ps -a --filter status=exited", null, R },
        { "docker logs --tail 100 backend", null, R },
        { "docker inspect backend", null, R },
        { "docker stats --no-stream", null, R },
        { "docker restart backend", null, M },
        { "docker stop worker", null, M },
        { "docker rm -f old-worker", null, M },
        { "docker rm -v old-db", null, D },
        { "docker pull app:1.4.2", null, M },
        { "docker system df", null, R },
        { "docker system prune -f", null, M },
        { "docker system prune -a --volumes", null, D },
        { "docker volume ls", null, R },
        { "docker volume rm app_pgdata", null, D },
        { "docker volume prune -f", null, D },
        { "docker image prune -a", null, M },
        { "docker compose ps", null, R },
        { "docker compose logs -f --tail=200 worker", null, R },
        { "docker-compose logs backend", null, R },
        { "docker compose up -d", null, M },
        { "docker compose restart backend", null, M },
        { "docker compose pull && docker compose up -d", null, M },
        { "docker compose down", null, M },
        { "docker compose down -v", null, D },
        { "docker-compose down --volumes", null, D },
        { "docker compose -f docker-compose.prod.yml config", null, R },
        { "docker compose run --rm backend alembic upgrade head", null, M },

        // Kubernetes and Helm.
        { "kubectl get pods -n production", null, R },
        { "kubectl describe pod api-7d9f", null, R },
        { "kubectl logs -f deploy/api --tail=100", null, R },
        { "kubectl top nodes", null, R },
        { "kubectl rollout status deployment/api", null, R },
        { "kubectl rollout history deployment/api", null, R },
        { "kubectl rollout restart deployment/api", null, M },
        { "kubectl rollout undo deployment/api", null, M },
        { "kubectl scale deployment/worker --replicas=5", null, M },
        { "kubectl apply -f deploy.yaml", null, M },
        { "kubectl delete pod api-7d9f", null, M },
        { "kubectl delete pod api-7d9f --force --grace-period=0", null, D },
        { "kubectl delete namespace staging", null, D },
        { "kubectl delete pvc data-postgres-0", null, D },
        { "kubectl delete pods --all -n jobs", null, D },
        { "kubectl -n prod get events --sort-by=.lastTimestamp", null, R },
        { "kubectl cordon node-3", null, M },
        { "kubectl drain node-3 --ignore-daemonsets", null, M },
        { "kubectl port-forward svc/grafana 3000:80", null, R },
        { "helm list -A", null, R },
        { "helm history api", null, R },
        { "helm upgrade api ./chart --install", null, M },
        { "helm rollback api 3", null, M },
        { "helm uninstall api", null, D },

        // PostgreSQL.
        { "pg_isready -h localhost -p 5432", null, R },
        { "psql -h localhost -U app -d app -c \"SELECT pid, state, query FROM pg_stat_activity WHERE state = 'active';\"", null, R },
        { "psql -c \"SELECT pg_terminate_backend(12345);\"", null, M },
        { "psql -c 'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE state = $$idle in transaction$$'", null, M },
        { "psql -c \"UPDATE jobs SET status = 'failed' WHERE status = 'processing' AND started_at < now() - interval '30 minutes'\"", null, M },
        { "psql -c 'UPDATE jobs SET status = 1'", null, D },
        { "psql -c 'DELETE FROM sessions'", null, D },
        { "psql -c \"DELETE FROM sessions WHERE expires_at < now()\"", null, M },
        { "psql -c 'REINDEX TABLE jobs'", null, M },
        { "psql -c \"ALTER SYSTEM SET max_connections = 200\"", null, M },
        { "psql -f migrate.sql", null, M },
        { "psql -h db -U app", null, M },
        { "psql -l", null, R },
        { "pg_dump -Fc app > /backups/app.dump", null, M },
        { "pg_dump -Fc -f /backups/app.dump app", null, M },
        { "pg_dump --schema-only app", null, R },
        { "pg_restore -d app /backups/app.dump", null, M },
        { "pg_restore --clean -d app /backups/app.dump", null, D },
        { "pg_restore -l app.dump", null, R },
        { "dropdb app_staging", null, D },
        { "createdb app_test", null, M },
        { "vacuumdb --analyze app", null, M },
        { "SELECT count(*) FROM jobs WHERE status = 'queued';", "sql", R },
        { "SELECT * FROM pg_stat_activity;", null, R },
        { "EXPLAIN SELECT * FROM jobs WHERE id = 1;", "sql", R },
        { "EXPLAIN ANALYZE DELETE FROM jobs;", "sql", D },
        { "SHOW max_connections;", "sql", R },
        { "VACUUM ANALYZE jobs;", "sql", M },
        { "INSERT INTO audit (msg) VALUES ('x');", "sql", M },
        { "DROP TABLE tmp_import;", "sql", D },
        { "TRUNCATE TABLE events;", "sql", D },
        { "ALTER TABLE jobs DROP COLUMN legacy;", "sql", D },
        { "ALTER TABLE jobs ADD COLUMN retries int DEFAULT 0;", "sql", M },
        { "CREATE INDEX CONCURRENTLY idx_jobs_status ON jobs (status);", "sql", M },
        { "WITH old AS (DELETE FROM jobs WHERE created_at < now() - interval '90 days' RETURNING *) SELECT count(*) FROM old;", "sql", M },
        { "SELECT 1;\nDELETE FROM cache;", "sql", D },
        { "-- how many are stuck?\nSELECT count(*) FROM jobs WHERE status = 'processing';", "sql", R },
        { "\\dt+", "sql", R },
        { "SELECT 'DROP TABLE x' AS text;", "sql", R },
        { "SELECT count(*) FROM jobs;", "bash", R },
        { "UPDATE users SET locked = false WHERE id = 7;", "bash", M },
        { "mysql -e 'SHOW PROCESSLIST'", null, R },
        { "sqlite3 app.db 'SELECT count(*) FROM items'", null, R },
        { "sqlite3 app.db 'DELETE FROM items'", null, D },

        // Redis.
        { "redis-cli PING", null, R },
        { "redis-cli -h localhost -p 6379 INFO memory", null, R },
        { "redis-cli LLEN celery", null, R },
        { "redis-cli -n 1 LRANGE celery 0 10", null, R },
        { "redis-cli --bigkeys", null, R },
        { "redis-cli --scan --pattern 'celery*'", null, R },
        { "redis-cli CONFIG GET maxmemory", null, R },
        { "redis-cli CONFIG SET maxmemory 2gb", null, M },
        { "redis-cli SET feature:flag on", null, M },
        { "redis-cli DEL celery", null, M },
        { "redis-cli FLUSHDB", null, D },
        { "redis-cli -a secret FLUSHALL", null, D },
        { "redis-cli CLIENT LIST", null, R },
        { "redis-cli CLIENT KILL TYPE normal", null, M },
        { "redis-cli SHUTDOWN NOSAVE", null, D },
        { "redis-cli", null, M },
        { "INFO keyspace", "redis", R },
        { "LLEN celery\nFLUSHDB", "redis", D },

        // Queues and applications.
        { "celery -A app inspect active", null, R },
        { "celery -A app inspect reserved", null, R },
        { "celery -A app status", null, R },
        { "celery -A app control shutdown", null, M },
        { "celery -A app control revoke 1234", null, M },
        { "celery -A app purge -f", null, D },
        { "celery -A app worker --loglevel=info", null, M },
        { "rabbitmqctl list_queues name messages", null, R },
        { "rabbitmqctl purge_queue celery", null, D },
        { "python manage.py migrate", null, M },
        { "python manage.py showmigrations", null, R },
        { "python manage.py flush --no-input", null, D },
        { "python3 scripts/reprocess.py --since 2026-01-01", null, M },
        { "alembic current", null, R },
        { "alembic upgrade head", null, M },
        { "python -m json.tool response.json", null, R },

        // HTTP.
        { "curl -s http://localhost:8000/health", null, R },
        { "curl -sf -o /dev/null -w '%{http_code}' https://api.example.com/health", null, R },
        { "curl -I https://example.com", null, R },
        { "curl -X POST http://localhost:8000/admin/cache/clear", null, M },
        { "curl -X DELETE http://localhost:9200/logs-2025.01", null, D },
        { "curl -d '{\"enabled\":false}' -H 'Content-Type: application/json' http://localhost:8000/flags/x", null, M },
        { "curl -H \"Authorization: Bearer $TOKEN\" https://api.example.com/api/v1/status", null, R },
        { "curl -o latest.tar.gz https://example.com/latest.tar.gz", null, M },
        { "wget -qO- http://localhost:9090/metrics", null, R },
        { "wget https://example.com/file.tar.gz", null, M },
        { "openssl s_client -connect example.com:443 -servername example.com </dev/null", null, R },
        { "openssl x509 -in cert.pem -noout -enddate", null, R },
        { "echo | openssl s_client -connect api.example.com:443 2>/dev/null | openssl x509 -noout -dates", null, R },
        { "nc -zv db 5432", null, R },
        { "dig +short example.com", null, R },
        { "certbot certificates", null, R },
        { "certbot renew", null, M },

        // Cloud, git, infrastructure.
        { "aws s3 ls s3://backups/", null, R },
        { "aws s3 cp dump.sql s3://backups/", null, M },
        { "aws s3 rm s3://backups/old/ --recursive", null, D },
        { "aws s3 sync ./site s3://www --delete", null, D },
        { "aws ec2 describe-instances --filters Name=tag:env,Values=prod", null, R },
        { "aws rds describe-db-instances", null, R },
        { "aws ec2 terminate-instances --instance-ids i-123", null, D },
        { "aws rds delete-db-instance --db-instance-identifier old", null, D },
        { "aws ecs update-service --cluster prod --service api --force-new-deployment", null, M },
        { "aws sts get-caller-identity", null, R },
        { "aws logs tail /ecs/api --follow", null, R },
        { "gcloud compute instances list", null, R },
        { "gcloud compute instances delete vm-1", null, D },
        { "git status", null, R },
        { "git log --oneline -10", null, R },
        { "git diff HEAD~1", null, R },
        { "git pull origin main", null, M },
        { "git checkout v1.4.1", null, M },
        { "git checkout -- .", null, D },
        { "git reset --hard origin/main", null, D },
        { "git clean -fdx", null, D },
        { "git push origin main", null, M },
        { "git push --force origin main", null, D },
        { "git revert HEAD", null, M },
        { "git branch -D hotfix", null, D },
        { "git stash list", null, R },
        { "terraform plan", null, R },
        { "terraform apply -auto-approve", null, M },
        { "terraform destroy", null, D },
        { "ansible-playbook site.yml --check", null, R },
        { "ansible-playbook site.yml", null, M },

        // Shell shapes.
        { "$ docker compose ps", "console", R },
        { "$ docker compose down -v", "console", D },
        { "cd /srv/app && git pull && docker compose up -d --build", null, M },
        { "ls; rm -rf build", null, D },
        { "test -f /tmp/ready || exit 1", null, R },
        { "export DATABASE_URL=postgres://localhost/app", null, R },
        { "# just a comment", "bash", R },
        { "docker compose logs backend \\\n  --tail=100", "bash", R },
        { "kubectl delete pod $(kubectl get pods -o name | grep old)", null, M },
        { "echo $(rm -rf /tmp/x)", null, D },
        { "./deploy.sh production", null, M },
        { "frobnicate --all", null, M },
        { "my-internal-tool status", null, M },

        // Not commands.
        { "groups:\n  - name: app\n    rules: []", "yaml", R },
        { "rate(http_requests_total{status=~\"5..\"}[5m]) > 0.05", "promql", R },
        { "print('hello')", "python", M },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_command_gets_its_class_with_a_reason(string command, string? language, string expected)
    {
        var risk = CommandRisk.Classify(command, language);
        Assert.True(expected == risk.Name, $"{command} ({language ?? "no tag"}): expected {expected}, got {risk}");
        Assert.NotEmpty(risk.Reasons);
        Assert.All(risk.Reasons, r => Assert.False(string.IsNullOrWhiteSpace(r)));
    }

    [Fact]
    public void The_table_covers_at_least_150_commands_of_every_class()
    {
        var rows = Commands.Select(r => (string)r.Data.Item3).ToList();
        Assert.True(rows.Count >= 150, $"{rows.Count} commands");
        Assert.All(new[] { R, M, D }, c => Assert.True(rows.Count(x => x == c) >= 30, $"{c}: {rows.Count(x => x == c)}"));
    }

    [Fact]
    public void The_reasons_name_what_makes_a_pipeline_destructive_and_leave_out_the_lesser_parts()
    {
        var risk = CommandRisk.Classify("docker compose ps && docker compose down -v");
        Assert.Equal(RiskClass.Destructive, risk.Class);
        var reason = Assert.Single(risk.Reasons);
        Assert.Contains("down -v", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_command_is_never_read_only()
    {
        foreach (var c in new[] { "foo", "deploy-all --prod", "./run", "x y z", "ßtool" })
            Assert.NotEqual(RiskClass.ReadOnly, CommandRisk.Classify(c).Class);
    }

    [Fact]
    public void Pathological_shell_and_sql_stay_fast_and_never_throw()
    {
        var random = new Random(42);
        const string alphabet = "ab '\"\\$()`|&;<>#\n\t-=*/";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var n = 0; n < 2000; n++)
        {
            var chars = new char[random.Next(0, 400)];
            for (var i = 0; i < chars.Length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
            var text = new string(chars);
            _ = CommandRisk.Classify(text);
            _ = CommandRisk.Classify(text, "sql");
            _ = CommandRisk.Classify(text, "redis");
        }
        var big = string.Concat(Enumerable.Repeat("$(echo '\"|", 20_000)) + string.Concat(Enumerable.Repeat("sudo ", 20_000)) + "ls";
        _ = CommandRisk.Classify(big);
        _ = CommandRisk.Classify(string.Concat(Enumerable.Repeat("SELECT 1; -- x\n/* y */", 20_000)), "sql");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}");
    }
}
