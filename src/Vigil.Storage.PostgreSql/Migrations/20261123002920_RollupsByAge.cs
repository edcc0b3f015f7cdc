using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Vigil.Storage.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class RollupsByAge : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_check_rollups_granularity_bucket_start",
                table: "check_rollups",
                columns: new[] { "granularity", "bucket_start" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_check_rollups_granularity_bucket_start",
                table: "check_rollups");
        }
    }
}
